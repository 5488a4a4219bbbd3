package imap

import (
	"strconv"
)

// FetchKind names a FETCH data item (RFC 9051 6.4.5).
type FetchKind uint8

// FETCH data items.
const (
	FetchFlags FetchKind = iota + 1
	FetchInternalDate
	FetchRFC822Size
	FetchEnvelope
	FetchBodyStructure // BODYSTRUCTURE
	FetchBody          // BODY without a section: the non-extensible BODYSTRUCTURE
	FetchUID
	FetchModSeq       // RFC 7162 3.1.4.1
	FetchBodySection  // BODY[...] and BODY.PEEK[...]
	FetchBinary       // BINARY[...] and BINARY.PEEK[...] (RFC 3516)
	FetchBinarySize   // BINARY.SIZE[...]
	FetchRFC822       // RFC 3501 only: BODY[]
	FetchRFC822Header // RFC 3501 only: BODY.PEEK[HEADER]
	FetchRFC822Text   // RFC 3501 only: BODY[TEXT]
)

// SectionText is the text part of a section spec (RFC 9051 6.4.5).
type SectionText uint8

// Section texts.
const (
	SectionAll             SectionText = iota // the whole part ("BODY[]" or "BODY[1.2]")
	SectionHeader                             // HEADER
	SectionHeaderFields                       // HEADER.FIELDS (...)
	SectionHeaderFieldsNot                    // HEADER.FIELDS.NOT (...)
	SectionBodyText                           // TEXT
	SectionMIME                               // MIME (only after a part number)
)

// Section is a section spec: a part path (empty for the whole message)
// and what of it.
type Section struct {
	Part   []int
	Text   SectionText
	Fields []string // for HEADER.FIELDS and HEADER.FIELDS.NOT, as sent
}

// AppendText appends the section in IMAP syntax, brackets excluded.
func (s Section) AppendText(dst []byte) []byte {
	for i, p := range s.Part {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendInt(dst, int64(p), 10)
	}
	if s.Text == SectionAll {
		return dst
	}
	if len(s.Part) > 0 {
		dst = append(dst, '.')
	}
	switch s.Text {
	case SectionHeader:
		dst = append(dst, "HEADER"...)
	case SectionHeaderFields, SectionHeaderFieldsNot:
		dst = append(dst, "HEADER.FIELDS"...)
		if s.Text == SectionHeaderFieldsNot {
			dst = append(dst, ".NOT"...)
		}
		dst = append(dst, " ("...)
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = AppendAstring(dst, f, false)
		}
		dst = append(dst, ')')
	case SectionBodyText:
		dst = append(dst, "TEXT"...)
	case SectionMIME:
		dst = append(dst, "MIME"...)
	}
	return dst
}

// FetchItem is one FETCH data item. For section items, Peek is true for
// BODY.PEEK and BINARY.PEEK (the \Seen flag is not set), and Partial
// (when HasPartial) is the <offset.count> origin octet and length.
type FetchItem struct {
	Kind       FetchKind
	Section    Section
	Peek       bool
	HasPartial bool
	Offset     uint32
	Count      uint32
}

// FetchItems reads the att list of FETCH: a macro (ALL, FAST, FULL), one
// item, or a parenthesised list (RFC 9051 6.4.5).
func (d *Decoder) FetchItems() ([]FetchItem, error) {
	b, err := d.peek()
	if err != nil {
		return nil, err
	}
	if b == '(' {
		var items []FetchItem
		err := d.List(false, func() error {
			it, err := d.fetchItem()
			items = append(items, it)
			return err
		})
		return items, err
	}
	a, err := d.fetchName()
	if err != nil {
		return nil, err
	}
	switch upper(a) {
	case "ALL":
		return []FetchItem{{Kind: FetchFlags}, {Kind: FetchInternalDate}, {Kind: FetchRFC822Size}, {Kind: FetchEnvelope}}, nil
	case "FAST":
		return []FetchItem{{Kind: FetchFlags}, {Kind: FetchInternalDate}, {Kind: FetchRFC822Size}}, nil
	case "FULL":
		return []FetchItem{{Kind: FetchFlags}, {Kind: FetchInternalDate}, {Kind: FetchRFC822Size}, {Kind: FetchEnvelope}, {Kind: FetchBody}}, nil
	}
	it, err := d.fetchItemNamed(a)
	return []FetchItem{it}, err
}

// fetchName reads the item name: letters, digits and dots up to "[", SP,
// ")" or CRLF.
func (d *Decoder) fetchName() (string, error) {
	return d.run(func(c byte) bool {
		return c == '.' || c == '8' || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
	}, "fetch item")
}

func (d *Decoder) fetchItem() (FetchItem, error) {
	a, err := d.fetchName()
	if err != nil {
		return FetchItem{}, err
	}
	return d.fetchItemNamed(a)
}

func (d *Decoder) fetchItemNamed(a string) (FetchItem, error) {
	var it FetchItem
	switch upper(a) {
	case "FLAGS":
		it.Kind = FetchFlags
	case "INTERNALDATE":
		it.Kind = FetchInternalDate
	case "RFC822.SIZE":
		it.Kind = FetchRFC822Size
	case "ENVELOPE":
		it.Kind = FetchEnvelope
	case "BODYSTRUCTURE":
		it.Kind = FetchBodyStructure
	case "UID":
		it.Kind = FetchUID
	case "MODSEQ":
		it.Kind = FetchModSeq
	case "RFC822":
		it.Kind = FetchRFC822
	case "RFC822.HEADER":
		it.Kind = FetchRFC822Header
	case "RFC822.TEXT":
		it.Kind = FetchRFC822Text
	case "BODY":
		b, err := d.peek()
		if err != nil {
			return it, err
		}
		if b != '[' {
			it.Kind = FetchBody
			return it, nil
		}
		it.Kind = FetchBodySection
		return it, d.sectionAndPartial(&it, false)
	case "BODY.PEEK":
		it.Kind, it.Peek = FetchBodySection, true
		return it, d.sectionAndPartial(&it, false)
	case "BINARY":
		it.Kind = FetchBinary
		return it, d.sectionAndPartial(&it, true)
	case "BINARY.PEEK":
		it.Kind, it.Peek = FetchBinary, true
		return it, d.sectionAndPartial(&it, true)
	case "BINARY.SIZE":
		it.Kind = FetchBinarySize
		if err := d.section(&it.Section, true); err != nil {
			return it, err
		}
	default:
		return it, d.syntax("fetch item")
	}
	return it, nil
}

func (d *Decoder) sectionAndPartial(it *FetchItem, binary bool) error {
	if err := d.section(&it.Section, binary); err != nil {
		return err
	}
	ok, err := d.accept('<')
	if err != nil || !ok {
		return err
	}
	if it.Offset, err = d.Number(); err != nil {
		return err
	}
	if err := d.expect('.', "."); err != nil {
		return err
	}
	if it.Count, err = d.Number(); err != nil {
		return err
	}
	if it.Count == 0 {
		return d.syntax("nz-number")
	}
	it.HasPartial = true
	return d.expect('>', ">")
}

// section reads "[" section-spec "]". For BINARY only a part path is
// allowed (RFC 3516 4.2, section-binary).
func (d *Decoder) section(s *Section, binary bool) error {
	if err := d.expect('[', "["); err != nil {
		return err
	}
	for {
		b, err := d.peek()
		if err != nil {
			return err
		}
		if b < '1' || b > '9' {
			break
		}
		n, err := d.Number()
		if err != nil {
			return err
		}
		if len(s.Part) >= d.Limits.depth()*4 {
			return d.fail(ErrTooComplex, "shorter part path")
		}
		s.Part = append(s.Part, int(n))
		if ok, err := d.accept('.'); err != nil {
			return err
		} else if !ok {
			return d.expect(']', "]")
		}
	}
	if ok, err := d.accept(']'); err != nil || ok {
		if err == nil && len(s.Part) > 0 {
			return d.syntax("section text after '.'")
		}
		return err
	}
	if binary {
		return d.syntax("part number")
	}
	a, err := d.run(func(c byte) bool {
		return c == '.' || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
	}, "section text")
	if err != nil {
		return err
	}
	switch upper(a) {
	case "HEADER":
		s.Text = SectionHeader
	case "TEXT":
		s.Text = SectionBodyText
	case "MIME":
		if len(s.Part) == 0 {
			return d.syntax("part number before MIME")
		}
		s.Text = SectionMIME
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		s.Text = SectionHeaderFields
		if len(a) > len("HEADER.FIELDS") {
			s.Text = SectionHeaderFieldsNot
		}
		if err := d.SP(); err != nil {
			return err
		}
		if err := d.List(false, func() error {
			f, err := d.Astring()
			s.Fields = append(s.Fields, f)
			return err
		}); err != nil {
			return err
		}
	default:
		return d.syntax("section text")
	}
	return d.expect(']', "]")
}
