package dnswire

// RFC 3597 4: the RFC 1035 types MD, MF, MB, MG, MR and MINFO carry names
// a sender MAY compress (so a receiver MUST decompress them), and RP,
// AFSDB, RT, SIG, PX, NXT and NAPTR carry names some senders compress
// (receivers SHOULD decompress). Those without a typed form here are kept
// as Unknown data, but in canonical, uncompressed form: raw data with a
// pointer in it would point into the wrong message once repacked.
const (
	TypeMD    Type = 3
	TypeMF    Type = 4
	TypeMB    Type = 7
	TypeMG    Type = 8
	TypeMR    Type = 9
	TypeMINFO Type = 14
	TypeRP    Type = 17
	TypeAFSDB Type = 18
	TypeRT    Type = 21
	TypePX    Type = 26
	TypeNXT   Type = 30
)

// nameLayout describes the data of a type whose names may arrive
// compressed: 'n' a name, '1', '2', '4' fixed fields of that many octets,
// 's' a character-string, '*' the rest, opaque. "" means no names.
func nameLayout(t Type) string {
	switch t {
	case TypeMD, TypeMF, TypeMB, TypeMG, TypeMR:
		return "n"
	case TypeMINFO, TypeRP:
		return "nn"
	case TypeAFSDB, TypeRT:
		return "2n"
	case TypePX:
		return "2nn"
	case TypeSIG:
		// RFC 2535 4.1: type covered, algorithm, labels, original TTL,
		// expiration, inception, key tag, signer's name, signature.
		return "2114442n*"
	case TypeNXT:
		return "n*" // RFC 2535 5.2: next name, type bitmap
	case TypeNAPTR:
		return "22sssn" // RFC 3403 4.1
	}
	return ""
}

// decompressData copies the data of a type with the given layout from
// msg[off:] (which ends at the end of the data) to dst with every name
// written out in full.
func decompressData(dst, msg []byte, off int, layout string) ([]byte, error) {
	for i := 0; i < len(layout); i++ {
		switch k := layout[i]; k {
		case 'n':
			var n Name
			end, err := readName(msg, off, &n, nil)
			if err != nil {
				return dst, rdataErr(err)
			}
			dst = append(dst, n.b[:n.n]...)
			off = end
		case '1', '2', '4':
			l := int(k - '0')
			if off+l > len(msg) {
				return dst, ErrBadRDLength
			}
			dst = append(dst, msg[off:off+l]...)
			off += l
		case 's':
			if off >= len(msg) || off+1+int(msg[off]) > len(msg) {
				return dst, ErrBadRDLength
			}
			l := 1 + int(msg[off])
			dst = append(dst, msg[off:off+l]...)
			off += l
		case '*':
			dst = append(dst, msg[off:]...)
			off = len(msg)
		}
	}
	if off != len(msg) {
		return dst, ErrBadRDLength
	}
	return dst, nil
}

// unpackCanonical fills r with the decompressed data of its type.
func (r *Unknown) unpackCanonical(msg []byte, off int, st *store, layout string) error {
	if st == nil {
		d, err := decompressData(make([]byte, 0, len(msg)-off+MaxNameLen), msg, off, layout)
		if err != nil {
			return err
		}
		r.Data = d
		return nil
	}
	n := len(st.bytes)
	var err error
	if st.bytes, err = decompressData(st.bytes, msg, off, layout); err != nil {
		st.bytes = st.bytes[:n]
		return err
	}
	if len(st.bytes) == n {
		r.Data = nil
	} else {
		r.Data = st.bytes[n:len(st.bytes):len(st.bytes)]
	}
	return nil
}
