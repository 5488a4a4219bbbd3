package dnswire

import "iter"

// MaxNameLen is the longest name in wire form, root label included
// (RFC 1035 2.3.4).
const MaxNameLen = 255

// MaxLabelLen is the longest label (RFC 1035 2.3.4).
const MaxLabelLen = 63

// Name is a domain name held in wire form (length-prefixed labels) in a
// fixed array, so it never touches the heap. Because the labels are kept as
// bytes, a label that contains a dot ("a\.b") stays distinct from two
// labels ("a.b").
//
// A Name is absolute when it ends in the root label (text with a trailing
// dot) and relative otherwise. Relative names appear only in presentation
// text; they are never packed into a message and never made absolute
// silently: use Absolute with an origin. The zero Name is the empty
// relative name, which is not a valid name to pack.
//
// Names keep the case they were received or written in (a resolver uses
// mixed case as a defence, RFC 4343 and draft-vixie-dnsext-dns0x20);
// Equal, IsSubdomainOf and Compare ignore ASCII case (RFC 4343 3).
//
// Names are comparable: == is true for byte-identical names (same case),
// so n.Lower() is a good map key for case-insensitive lookups.
type Name struct {
	b   [MaxNameLen]byte
	n   uint8
	abs bool
}

// Root is the root name ".".
func Root() Name {
	var n Name
	n.n = 1
	n.abs = true
	return n
}

// ParseName reads a name in presentation form (RFC 1035 5.1): labels
// separated by dots, `\.` and `\\` and `\X` for a literal character X, and
// `\DDD` for the octet with decimal value DDD. A trailing dot makes the name
// absolute; "." is the root.
func ParseName(s string) (Name, error) {
	var n Name
	if err := n.parse(s); err != nil {
		return Name{}, &SyntaxError{Token: s, Err: err}
	}
	return n, nil
}

// MustName is ParseName that panics on error; for constants in tests and
// examples.
func MustName(s string) Name {
	n, err := ParseName(s)
	if err != nil {
		panic(err)
	}
	return n
}

func (n *Name) parse(s string) error {
	n.n, n.abs = 0, false
	if s == "" {
		return ErrEmptyLabel
	}
	if s == "." {
		n.b[0] = 0
		n.n, n.abs = 1, true
		return nil
	}
	w := 0      // bytes written to n.b
	lstart := 0 // index of the current label's length byte
	w++         // reserve the length byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '.':
			l := w - lstart - 1
			if l == 0 {
				return ErrEmptyLabel
			}
			n.b[lstart] = byte(l)
			if i == len(s)-1 {
				// Trailing dot: absolute. RFC 1035 2.3.4: 255 octets
				// including the root label.
				if w+1 > MaxNameLen {
					return ErrNameTooLong
				}
				n.b[w] = 0
				n.n, n.abs = uint8(w+1), true
				return nil
			}
			lstart = w
			w++
			if w > MaxNameLen {
				return ErrNameTooLong
			}
			continue
		case '\\':
			if i+1 >= len(s) {
				return ErrSyntax
			}
			if isDigit(s[i+1]) {
				if i+3 >= len(s) {
					return ErrSyntax
				}
				if !isDigit(s[i+2]) || !isDigit(s[i+3]) {
					return ErrSyntax
				}
				v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
				if v > 255 {
					return ErrSyntax
				}
				c = byte(v)
				i += 3
			} else {
				c = s[i+1]
				i++
			}
		}
		if w-lstart-1 >= MaxLabelLen {
			return ErrLabelTooLong
		}
		if w >= MaxNameLen-1 {
			return ErrNameTooLong
		}
		n.b[w] = c
		w++
	}
	l := w - lstart - 1
	if l == 0 {
		return ErrEmptyLabel
	}
	n.b[lstart] = byte(l)
	// A relative name must leave room for at least the root label.
	n.n, n.abs = uint8(w), false
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// NameFromWire makes a Name from uncompressed wire bytes: labels ending in
// the root label (absolute) or not (relative).
func NameFromWire(b []byte) (Name, error) {
	var n Name
	if len(b) == 0 {
		return n, ErrEmptyLabel
	}
	i := 0
	for i < len(b) {
		c := int(b[i])
		if c == 0 {
			if i != len(b)-1 {
				return Name{}, ErrTrailingBytes
			}
			if len(b) > MaxNameLen {
				return Name{}, ErrNameTooLong
			}
			copy(n.b[:], b)
			n.n, n.abs = uint8(len(b)), true
			return n, nil
		}
		if c > MaxLabelLen {
			return Name{}, ErrBadLabelType
		}
		i += 1 + c
	}
	if i != len(b) {
		return Name{}, ErrTruncated
	}
	if len(b) >= MaxNameLen {
		return Name{}, ErrNameTooLong
	}
	copy(n.b[:], b)
	n.n = uint8(len(b))
	return n, nil
}

// IsZero reports whether n is the zero Name (no labels at all).
func (n Name) IsZero() bool { return n.n == 0 }

// IsAbsolute reports whether n ends in the root label.
func (n Name) IsAbsolute() bool { return n.abs }

// IsRoot reports whether n is the root name ".".
func (n Name) IsRoot() bool { return n.abs && n.n == 1 }

// Len returns the length of n in uncompressed wire form.
func (n Name) Len() int { return int(n.n) }

// AppendWire appends n's uncompressed wire form to dst.
func (n Name) AppendWire(dst []byte) []byte { return append(dst, n.b[:n.n]...) }

// NumLabels returns the number of labels, not counting the root label.
func (n Name) NumLabels() int {
	c := 0
	for i := 0; i < int(n.n) && n.b[i] != 0; i += 1 + int(n.b[i]) {
		c++
	}
	return c
}

// Label returns the i'th label (0 is the leftmost) as raw octets, not
// escaped. It panics if i is out of range, like a slice index.
func (n Name) Label(i int) string {
	for o := 0; o < int(n.n) && n.b[o] != 0; o += 1 + int(n.b[o]) {
		if i == 0 {
			return string(n.b[o+1 : o+1+int(n.b[o])])
		}
		i--
	}
	panic("dnswire: label index out of range")
}

// Labels iterates over the labels from left to right as raw octets (not
// escaped), the root label not included.
func (n Name) Labels() iter.Seq[string] {
	return func(yield func(string) bool) {
		for o := 0; o < int(n.n) && n.b[o] != 0; o += 1 + int(n.b[o]) {
			if !yield(string(n.b[o+1 : o+1+int(n.b[o])])) {
				return
			}
		}
	}
}

// Parent returns n without its leftmost label. The parent of a one-label
// relative name and of the root is reported with ok false.
func (n Name) Parent() (Name, bool) {
	if n.n == 0 || n.b[0] == 0 {
		return Name{}, false
	}
	skip := 1 + int(n.b[0])
	if skip >= int(n.n) {
		return Name{}, false
	}
	var p Name
	copy(p.b[:], n.b[skip:n.n])
	p.n, p.abs = n.n-uint8(skip), n.abs
	return p, true
}

// Ancestor returns the name made of n's rightmost labels (labels of
// them), or n itself when it has no more. For an absolute name,
// Ancestor(0) is the root; a relative name keeps at least one label. It
// is what repeated Parent calls give, with one copy.
func (n Name) Ancestor(labels int) Name {
	total := n.NumLabels()
	drop := total - labels
	if !n.abs {
		drop = min(drop, total-1)
	}
	if drop <= 0 {
		return n
	}
	skip := 0
	for ; drop > 0; drop-- {
		skip += 1 + int(n.b[skip])
	}
	var a Name
	copy(a.b[:], n.b[skip:n.n])
	a.n, a.abs = n.n-uint8(skip), n.abs
	return a
}

// Child returns the name with label prepended to n. The label is raw octets
// (no escapes).
func (n Name) Child(label string) (Name, error) {
	if len(label) == 0 {
		return Name{}, ErrEmptyLabel
	}
	if len(label) > MaxLabelLen {
		return Name{}, ErrLabelTooLong
	}
	total := 1 + len(label) + int(n.n)
	if total > MaxNameLen || (!n.abs && total >= MaxNameLen) {
		return Name{}, ErrNameTooLong
	}
	var c Name
	c.b[0] = byte(len(label))
	copy(c.b[1:], label)
	copy(c.b[1+len(label):], n.b[:n.n])
	c.n, c.abs = uint8(total), n.abs
	return c, nil
}

// Absolute returns n made absolute: n itself if it already is, else n
// followed by origin, which must be absolute (RFC 1035 5.1).
func (n Name) Absolute(origin Name) (Name, error) {
	if n.abs {
		return n, nil
	}
	if !origin.abs {
		return Name{}, ErrRelativeName
	}
	if n.n == 0 {
		return origin, nil
	}
	total := int(n.n) + int(origin.n)
	if total > MaxNameLen {
		return Name{}, ErrNameTooLong
	}
	r := n
	copy(r.b[n.n:], origin.b[:origin.n])
	r.n, r.abs = uint8(total), true
	return r, nil
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Equal reports whether n and o are the same name, ignoring ASCII case
// (RFC 4343 3). Length octets are below 64 and never affected by the fold.
func (n Name) Equal(o Name) bool {
	if n.n != o.n || n.abs != o.abs {
		return false
	}
	return equalFold(n.b[:n.n], o.b[:o.n])
}

func equalFold(a, b []byte) bool {
	for i := range a {
		if a[i] != b[i] && lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// Lower returns n with ASCII letters in lower case.
func (n Name) Lower() Name {
	for i := 0; i < int(n.n); i++ {
		n.b[i] = lower(n.b[i])
	}
	return n
}

// labelOffsets fills offs with the offset of each label's length byte and
// returns how many labels there are (root label not counted).
func (n *Name) labelOffsets(offs *[128]uint8) int {
	c := 0
	for i := 0; i < int(n.n) && n.b[i] != 0; i += 1 + int(n.b[i]) {
		offs[c] = uint8(i)
		c++
	}
	return c
}

// IsSubdomainOf reports whether n is parent or below it, ignoring case.
// Both must be absolute, or both relative.
func (n Name) IsSubdomainOf(parent Name) bool {
	if n.abs != parent.abs || parent.n > n.n {
		return false
	}
	var offs [128]uint8
	c := n.labelOffsets(&offs)
	pc := parent.NumLabels()
	if pc > c {
		return false
	}
	start := 0
	switch {
	case pc == 0:
		start = int(n.n) // the empty suffix
		if n.abs {
			start-- // the root label
		}
	case pc < c:
		start = int(offs[c-pc])
	}
	if int(n.n)-start != int(parent.n) {
		return false
	}
	return equalFold(n.b[start:n.n], parent.b[:parent.n])
}

// Compare orders names canonically (RFC 4034 6.1): label by label from the
// rightmost, each label compared as octets with ASCII letters lowered, a
// missing label sorting first. It returns -1, 0 or +1. Relative names sort
// before absolute ones.
func (n Name) Compare(o Name) int {
	if n.abs != o.abs {
		if !n.abs {
			return -1
		}
		return 1
	}
	var no, oo [128]uint8
	nc := n.labelOffsets(&no)
	oc := o.labelOffsets(&oo)
	for i, j := nc-1, oc-1; ; i, j = i-1, j-1 {
		if i < 0 || j < 0 {
			switch {
			case i < 0 && j < 0:
				return 0
			case i < 0:
				return -1
			default:
				return 1
			}
		}
		a := n.b[int(no[i])+1 : int(no[i])+1+int(n.b[no[i]])]
		b := o.b[int(oo[j])+1 : int(oo[j])+1+int(o.b[oo[j]])]
		for k := 0; k < len(a) && k < len(b); k++ {
			x, y := lower(a[k]), lower(b[k])
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		}
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
	}
}

// String returns n in presentation form with RFC 1035 5.1 / RFC 4343
// escapes: `\.` for a dot inside a label, `\\`, `\"`, `\(`, `\)`, `\;`,
// `\@`, `\$`, and `\DDD` for octets outside printable ASCII and space.
// The root prints as "."; an absolute name ends in a dot.
func (n Name) String() string {
	var buf [MaxNameLen * 4]byte
	return string(n.AppendText(buf[:0]))
}

// AppendText appends n's presentation form to dst.
func (n Name) AppendText(dst []byte) []byte {
	if n.n == 0 {
		return dst
	}
	if n.abs && n.n == 1 {
		return append(dst, '.')
	}
	for i := 0; i < int(n.n) && n.b[i] != 0; {
		l := int(n.b[i])
		if i > 0 {
			dst = append(dst, '.')
		}
		for _, c := range n.b[i+1 : i+1+l] {
			dst = appendEscaped(dst, c)
		}
		i += 1 + l
	}
	if n.abs {
		dst = append(dst, '.')
	}
	return dst
}

func appendEscaped(dst []byte, c byte) []byte {
	switch {
	case c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' || c == '$':
		return append(dst, '\\', c)
	case c < 0x21 || c > 0x7e:
		return append(dst, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
	}
	return append(dst, c)
}

// MarshalText implements encoding.TextMarshaler.
func (n Name) MarshalText() ([]byte, error) { return n.AppendText(nil), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *Name) UnmarshalText(b []byte) error {
	v, err := ParseName(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}
