package dnswire

// DNAME redirects a whole subtree (RFC 6672). RFC 6672 2.5: the target is
// never compressed on write; a compressed target is still decompressed on
// read, as RFC 3597 4 asks of receivers.
type DNAME struct{ Target Name }

// Type returns TypeDNAME.
func (*DNAME) Type() Type { return TypeDNAME }

// String returns the target name.
func (r *DNAME) String() string { return string(r.AppendText(nil)) }

// AppendText appends the target name.
func (r *DNAME) AppendText(dst []byte) []byte { return r.Target.AppendText(dst) }

func (r *DNAME) unpack(msg []byte, off int, st *store) error {
	return unpackName(msg, off, &r.Target, st.cache())
}

func (r *DNAME) appendWire(dst []byte) ([]byte, error) { return appendNameWire(dst, &r.Target) }

func (r *DNAME) parseText(c *textCtx, toks []token) error { return c.oneName(toks, &r.Target) }

func (r *DNAME) cloneRData() RData { c := *r; return &c }

// DNAME decodes the current record's data as a DNAME record.
func (p *Parser) DNAME() (DNAME, error) {
	var r DNAME
	err := p.decodeDNAME(&r)
	return r, err
}

func (p *Parser) decodeDNAME(r *DNAME) error {
	msg, off, err := p.data(TypeDNAME)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}
