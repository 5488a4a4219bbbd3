package dnswire

// Parser accessors for the types of rr_dnssec.go and rr_misc2.go, written
// out per type like those in parser.go so the result stays in the
// caller's frame.

// DS decodes the current record's data as a DS record; Digest aliases the message.
func (p *Parser) DS() (DS, error) {
	var r DS
	err := p.decodeDS(&r)
	return r, err
}

func (p *Parser) decodeDS(r *DS) error {
	msg, off, err := p.data(TypeDS)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// CDS decodes the current record's data as a CDS record.
func (p *Parser) CDS() (CDS, error) {
	var r CDS
	err := p.decodeCDS(&r)
	return r, err
}

func (p *Parser) decodeCDS(r *CDS) error {
	msg, off, err := p.data(TypeCDS)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// DNSKEY decodes the current record's data as a DNSKEY record; PublicKey aliases the message.
func (p *Parser) DNSKEY() (DNSKEY, error) {
	var r DNSKEY
	err := p.decodeDNSKEY(&r)
	return r, err
}

func (p *Parser) decodeDNSKEY(r *DNSKEY) error {
	msg, off, err := p.data(TypeDNSKEY)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// CDNSKEY decodes the current record's data as a CDNSKEY record.
func (p *Parser) CDNSKEY() (CDNSKEY, error) {
	var r CDNSKEY
	err := p.decodeCDNSKEY(&r)
	return r, err
}

func (p *Parser) decodeCDNSKEY(r *CDNSKEY) error {
	msg, off, err := p.data(TypeCDNSKEY)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// RRSIG decodes the current record's data as an RRSIG record; Signature aliases the message.
func (p *Parser) RRSIG() (RRSIG, error) {
	var r RRSIG
	err := p.decodeRRSIG(&r)
	return r, err
}

func (p *Parser) decodeRRSIG(r *RRSIG) error {
	msg, off, err := p.data(TypeRRSIG)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// SIG decodes the current record's data as a SIG record.
func (p *Parser) SIG() (SIG, error) {
	var r SIG
	err := p.decodeSIG(&r)
	return r, err
}

func (p *Parser) decodeSIG(r *SIG) error {
	msg, off, err := p.data(TypeSIG)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// NSEC decodes the current record's data as an NSEC record; Types is a new slice.
func (p *Parser) NSEC() (NSEC, error) {
	var r NSEC
	err := p.decodeNSEC(&r)
	return r, err
}

func (p *Parser) decodeNSEC(r *NSEC) error {
	msg, off, err := p.data(TypeNSEC)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// NSEC3 decodes the current record's data as an NSEC3 record; Types is a new slice.
func (p *Parser) NSEC3() (NSEC3, error) {
	var r NSEC3
	err := p.decodeNSEC3(&r)
	return r, err
}

func (p *Parser) decodeNSEC3(r *NSEC3) error {
	msg, off, err := p.data(TypeNSEC3)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// NSEC3PARAM decodes the current record's data as an NSEC3PARAM record.
func (p *Parser) NSEC3PARAM() (NSEC3PARAM, error) {
	var r NSEC3PARAM
	err := p.decodeNSEC3PARAM(&r)
	return r, err
}

func (p *Parser) decodeNSEC3PARAM(r *NSEC3PARAM) error {
	msg, off, err := p.data(TypeNSEC3PARAM)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// TLSA decodes the current record's data as a TLSA record; Data aliases the message.
func (p *Parser) TLSA() (TLSA, error) {
	var r TLSA
	err := p.decodeTLSA(&r)
	return r, err
}

func (p *Parser) decodeTLSA(r *TLSA) error {
	msg, off, err := p.data(TypeTLSA)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// SMIMEA decodes the current record's data as an SMIMEA record.
func (p *Parser) SMIMEA() (SMIMEA, error) {
	var r SMIMEA
	err := p.decodeSMIMEA(&r)
	return r, err
}

func (p *Parser) decodeSMIMEA(r *SMIMEA) error {
	msg, off, err := p.data(TypeSMIMEA)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// SSHFP decodes the current record's data as an SSHFP record.
func (p *Parser) SSHFP() (SSHFP, error) {
	var r SSHFP
	err := p.decodeSSHFP(&r)
	return r, err
}

func (p *Parser) decodeSSHFP(r *SSHFP) error {
	msg, off, err := p.data(TypeSSHFP)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// NAPTR decodes the current record's data as a NAPTR record.
func (p *Parser) NAPTR() (NAPTR, error) {
	var r NAPTR
	err := p.decodeNAPTR(&r)
	return r, err
}

func (p *Parser) decodeNAPTR(r *NAPTR) error {
	msg, off, err := p.data(TypeNAPTR)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// HINFO decodes the current record's data as a HINFO record.
func (p *Parser) HINFO() (HINFO, error) {
	var r HINFO
	err := p.decodeHINFO(&r)
	return r, err
}

func (p *Parser) decodeHINFO(r *HINFO) error {
	msg, off, err := p.data(TypeHINFO)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// URI decodes the current record's data as a URI record.
func (p *Parser) URI() (URI, error) {
	var r URI
	err := p.decodeURI(&r)
	return r, err
}

func (p *Parser) decodeURI(r *URI) error {
	msg, off, err := p.data(TypeURI)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

// ZONEMD decodes the current record's data as a ZONEMD record.
func (p *Parser) ZONEMD() (ZONEMD, error) {
	var r ZONEMD
	err := p.decodeZONEMD(&r)
	return r, err
}

func (p *Parser) decodeZONEMD(r *ZONEMD) error {
	msg, off, err := p.data(TypeZONEMD)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}
