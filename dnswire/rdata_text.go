package dnswire

import (
	"strconv"
)

// Presentation form of record data (RFC 1035 5.1, RFC 3597 5 for unknown
// types), one zone-file line's RDATA part, as dig prints it.

func (r *A) String() string     { return string(r.AppendText(nil)) }
func (r *AAAA) String() string  { return string(r.AppendText(nil)) }
func (r *NS) String() string    { return string(r.AppendText(nil)) }
func (r *CNAME) String() string { return string(r.AppendText(nil)) }
func (r *PTR) String() string   { return string(r.AppendText(nil)) }
func (r *MX) String() string    { return string(r.AppendText(nil)) }
func (r *SOA) String() string   { return string(r.AppendText(nil)) }
func (r *TXT) String() string   { return string(r.AppendText(nil)) }
func (r *SRV) String() string   { return string(r.AppendText(nil)) }
func (r *CAA) String() string   { return string(r.AppendText(nil)) }
func (r *Unknown) String() string {
	return string(r.AppendText(nil))
}

// AppendText appends the address.
func (r *A) AppendText(dst []byte) []byte { return r.Addr.AppendTo(dst) }

// AppendText appends the address.
func (r *AAAA) AppendText(dst []byte) []byte { return r.Addr.AppendTo(dst) }

// AppendText appends the host name.
func (r *NS) AppendText(dst []byte) []byte { return r.Host.AppendText(dst) }

// AppendText appends the target name.
func (r *CNAME) AppendText(dst []byte) []byte { return r.Target.AppendText(dst) }

// AppendText appends the target name.
func (r *PTR) AppendText(dst []byte) []byte { return r.Target.AppendText(dst) }

// AppendText appends "pref host".
func (r *MX) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(r.Pref), 10)
	dst = append(dst, ' ')
	return r.Host.AppendText(dst)
}

// AppendText appends "mname rname serial refresh retry expire minimum".
func (r *SOA) AppendText(dst []byte) []byte {
	dst = r.MName.AppendText(dst)
	dst = append(dst, ' ')
	dst = r.RName.AppendText(dst)
	for _, v := range [...]uint32{r.Serial, ttl31(r.Refresh), ttl31(r.Retry), ttl31(r.Expire), ttl31(r.Minimum)} {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}

// AppendText appends each string quoted, separated by spaces.
func (r *TXT) AppendText(dst []byte) []byte {
	for i, s := range r.Strings {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = appendQuoted(dst, s)
	}
	return dst
}

// appendQuoted writes a character-string in quotes with `\"`, `\\` and
// `\DDD` escapes (RFC 1035 5.1).
func appendQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c > 0x7e:
			dst = append(dst, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// AppendText appends "priority weight port target".
func (r *SRV) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(r.Priority), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(r.Weight), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(r.Port), 10)
	dst = append(dst, ' ')
	return r.Target.AppendText(dst)
}

// AppendText appends `flags tag "value"` (RFC 8659 4.1.1), or the RFC 3597
// generic form when the tag has characters the text form cannot carry.
func (r *CAA) AppendText(dst []byte) []byte {
	if !textCAATag(r.Tag) {
		w := make([]byte, 0, 2+len(r.Tag)+len(r.Value))
		w = append(w, r.Flags, byte(len(r.Tag)))
		w = append(append(w, r.Tag...), r.Value...)
		return (&Unknown{T: TypeCAA, Data: w}).AppendText(dst)
	}
	dst = strconv.AppendUint(dst, uint64(r.Flags), 10)
	dst = append(dst, ' ')
	dst = append(dst, r.Tag...)
	dst = append(dst, ' ')
	return appendQuoted(dst, r.Value)
}

// AppendText appends the RFC 3597 5 generic form `\# len hex`.
func (r *Unknown) AppendText(dst []byte) []byte {
	dst = append(dst, '\\', '#', ' ')
	dst = strconv.AppendUint(dst, uint64(len(r.Data)), 10)
	if len(r.Data) > 0 {
		dst = append(dst, ' ')
		const hexd = "0123456789abcdef"
		for _, c := range r.Data {
			dst = append(dst, hexd[c>>4], hexd[c&0xF])
		}
	}
	return dst
}
