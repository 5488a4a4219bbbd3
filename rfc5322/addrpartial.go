package rfc5322

import "errors"

// ParseAddressListPartial parses an address-list as ParseAddressList
// does, but one bad element does not lose the others, as a mail client
// showing a message or a server taking recipients needs: it returns the
// addresses of every element that parses and, if any did not, the
// errors for those (each a *ParseError whose Offset is in s, joined with
// errors.Join, so errors.Is(err, ErrInvalidAddress) and errors.As work).
//
// A list that ParseAddressList reads without error comes back as it
// reads it. Otherwise elements are split at the commas outside quoted strings, comments,
// domain literals, angle brackets and groups (RFC 5322 3.4), then each
// is parsed alone; a group is one element. Time is linear in len(s).
func ParseAddressListPartial(s string) ([]Address, error) {
	if addrs, err := ParseAddressList(s); err == nil {
		return addrs, nil // a list that parses whole is read as one
	}
	var (
		out  []Address
		errs []error
	)
	start := 0
	quote, esc := false, false
	paren, angle, bracket := 0, false, false
	group := false
	flush := func(end int) {
		el := s[start:end]
		if isBlankElement(el) {
			return
		}
		addrs, err := ParseAddressList(el)
		var pe *ParseError
		switch {
		case err == nil:
			out = append(out, addrs...)
		case errors.As(err, &pe):
			c := *pe
			c.Offset += start
			errs = append(errs, &c)
		case errors.Is(err, ErrUnknownCharset):
			out = append(out, addrs...) // kept, raw word in the name
			errs = append(errs, err)
		default:
			errs = append(errs, err)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && (quote || paren > 0 || bracket):
			esc = true
		case quote:
			quote = c != '"'
		case c == '(':
			paren++
		case paren > 0:
			if c == ')' {
				paren--
			}
		case c == '"':
			quote = true
		case bracket:
			bracket = c != ']'
		case c == '[':
			bracket = true
		case c == '<':
			angle = true
		case angle:
			angle = c != '>'
		case c == ':':
			group = true
		case c == ';' && group:
			group = false
		case c == ',' && !group:
			flush(i)
			start = i + 1
		}
	}
	flush(len(s))
	return out, errors.Join(errs...)
}

// isBlankElement reports whether a list element is white space only
// (obs-addr-list allows empty elements, RFC 5322 4.4).
func isBlankElement(el string) bool {
	for i := 0; i < len(el); i++ {
		if el[i] != ' ' && el[i] != '\t' && el[i] != '\r' && el[i] != '\n' {
			return false
		}
	}
	return true
}

// AddressListPartial is AddressList with ParseAddressListPartial: the
// good addresses of the fields named name, and the errors for the bad
// elements wrapped in a *FieldError naming the field.
func (h *Header) AddressListPartial(name string) ([]Address, error) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return nil, nil
	}
	joined := vs[0]
	for _, v := range vs[1:] {
		joined += ", " + v
	}
	addrs, err := ParseAddressListPartial(joined)
	if err != nil {
		return addrs, &FieldError{Field: name, Index: -1, Err: err}
	}
	return addrs, nil
}
