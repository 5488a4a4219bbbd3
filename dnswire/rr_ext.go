package dnswire

// Record types added after the RFC 1035 set share three small internal
// interfaces, so the central switches (Builder.packData, the text parser,
// CloneRData) need one default case each instead of one case per type.
// None of these types has its names compressed on write (RFC 3597 4), so
// appendWire needs only the buffer, not the Builder: that keeps the
// Builder off the heap.

// wireData appends the record data in uncompressed wire form.
type wireData interface {
	appendWire(dst []byte) ([]byte, error)
}

// textData parses the record data from presentation fields.
type textData interface {
	parseText(c *textCtx, toks []token) error
}

// cloneData returns a deep copy.
type cloneData interface {
	cloneRData() RData
}

// oneName parses a single-name data field.
func (c *textCtx) oneName(toks []token, dst *Name) error {
	if err := c.want(toks, 1); err != nil {
		return err
	}
	n, err := c.name(toks[0])
	if err != nil {
		return err
	}
	*dst = n
	return nil
}

// appendNameWire appends n uncompressed; relative names are refused with
// a *NameError that names them.
func appendNameWire(dst []byte, n *Name) ([]byte, error) {
	if !n.abs {
		return dst, &NameError{Name: *n, Err: ErrRelativeName}
	}
	return append(dst, n.b[:n.n]...), nil
}
