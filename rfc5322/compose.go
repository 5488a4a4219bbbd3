package rfc5322

import (
	"bytes"
	"io"
	"strings"
	"time"
)

// Builder composes a message. Fill in the fields and call Message or
// AppendMessage; the zero value plus From and one recipient is enough.
//
// The header is written in this order: Date, From, Sender, Reply-To, To,
// Cc, Subject, Message-ID, then the fields of Header in their order. If
// Header has no Content-Type, the body is plain text: MIME-Version (if
// Header has none), Content-Type text/plain with charset us-ascii, or
// utf-8 and Content-Transfer-Encoding 8bit when the body has octets over
// 127, are written last. Package mime builds multipart bodies. Bcc
// is never written (RFC 5322 3.6.3 allows either; not writing it keeps
// blind recipients blind); its addresses are only returned in
// Info.Recipients.
type Builder struct {
	From    []Address // required (RFC 5322 3.6.2)
	Sender  *Address  // required when From has more than one mailbox
	ReplyTo []Address
	To      []Address
	Cc      []Address
	Bcc     []Address
	Subject string

	// Date is the origination date; the zero value means Now().
	Date time.Time
	// MessageID is the msg-id with angle brackets; "" means a new one
	// for the domain of the first From address (NewMessageID).
	MessageID string
	// Header holds extra fields (MIME-Version, Content-Type,
	// In-Reply-To, ...), written after the standard ones. It may not
	// hold a field that the Builder writes itself.
	Header Header
	// Body is written after the empty line, untouched: it should
	// already use CRLF line ends (see CheckBody).
	Body []byte

	// UTF8 writes non-ASCII display names and Subject as UTF-8 (RFC
	// 6532, for SMTPUTF8 delivery) instead of RFC 2047 encoded words.
	UTF8 bool

	// Now is the clock for Date and Message-ID; nil means time.Now.
	Now func() time.Time
	// Rand is the randomness for Message-ID; nil means crypto/rand.
	Rand io.Reader
}

// Info describes a composed message.
type Info struct {
	MessageID string // as written, with angle brackets
	// Recipients are the addr-specs of To, Cc and Bcc in that order,
	// for the SMTP envelope.
	Recipients []string
	// Body is what CheckBody found in the body: EightBit means the
	// body needs 8BITMIME (RFC 6152).
	Body BodyInfo
	// UTF8Header means the header holds UTF-8 and needs SMTPUTF8
	// (RFC 6531).
	UTF8Header bool
}

// builderFields reports the fields the Builder writes itself.
func builderFields(name string) bool {
	for _, n := range [...]string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Message-ID"} {
		if equalFold([]byte(name), n) {
			return true
		}
	}
	return false
}

// Message composes the message and returns it with its Info.
func (b *Builder) Message() ([]byte, Info, error) {
	return b.AppendMessage(make([]byte, 0, 1024+len(b.Body)))
}

// AppendMessage appends the composed message to dst. It fails, appending
// nothing, if From is empty, MessageID is set but is not one msg-id
// (ErrInvalidMsgID), there is no recipient (ErrNoRecipient), an
// address does not parse back to itself (ErrInvalidAddress), From has
// several mailboxes and Sender is nil (ErrSenderRequired), Header repeats
// a field the Builder writes (ErrRepeatedField), or a field cannot be
// written (ErrInvalidFieldName, ErrInvalidFieldValue, ErrLineTooLong),
// or the header would exceed a limit of the default Parser
// (ErrHeaderTooLarge, ErrTooManyFields, ErrFieldTooLong), which could
// not read it back.
func (b *Builder) AppendMessage(dst []byte) ([]byte, Info, error) {
	var info Info
	if len(b.From) == 0 {
		return dst, info, ErrMissingFrom
	}
	if len(b.To)+len(b.Cc)+len(b.Bcc) == 0 {
		return dst, info, ErrNoRecipient
	}
	if len(b.From) > 1 && b.Sender == nil {
		return dst, info, ErrSenderRequired
	}
	lists := [...]struct {
		name  string
		addrs []Address
	}{{"From", b.From}, {"Reply-To", b.ReplyTo}, {"To", b.To}, {"Cc", b.Cc}, {"Bcc", b.Bcc}}
	for _, l := range lists {
		for _, a := range l.addrs {
			if err := checkAddr(a); err != nil {
				return dst, info, &FieldError{Field: l.name, Index: -1, Err: err}
			}
		}
	}
	if b.Sender != nil {
		if err := checkAddr(*b.Sender); err != nil {
			return dst, info, &FieldError{Field: "Sender", Index: -1, Err: err}
		}
	}
	for i, f := range b.Header.fields {
		if builderFields(string(f.NameBytes())) {
			return dst, info, &FieldError{Field: f.Name(), Index: i, Err: ErrRepeatedField}
		}
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	date := b.Date
	if date.IsZero() {
		date = now()
	}
	id := b.MessageID
	if id != "" {
		if _, err := ParseMsgID(id); err != nil || !strings.HasPrefix(strings.TrimSpace(id), "<") {
			return dst, info, &FieldError{Field: "Message-ID", Index: -1, Err: ErrInvalidMsgID}
		}
	}
	if id == "" {
		var err error
		if id, err = newMessageID(b.From[0].Domain(), now(), b.Rand); err != nil {
			return dst, info, err
		}
	}
	var h Header
	h.fields = make([]Field, 0, 8+len(b.Header.fields))
	h.Add("Date", FormatDate(date))
	h.Add("From", string(AppendAddressList(nil, b.From, b.UTF8)))
	if b.Sender != nil {
		h.Add("Sender", string(b.Sender.AppendFormat(nil, b.UTF8)))
	}
	if len(b.ReplyTo) > 0 {
		h.Add("Reply-To", string(AppendAddressList(nil, b.ReplyTo, b.UTF8)))
	}
	if len(b.To) > 0 {
		h.Add("To", string(AppendAddressList(nil, b.To, b.UTF8)))
	}
	if len(b.Cc) > 0 {
		h.Add("Cc", string(AppendAddressList(nil, b.Cc, b.UTF8)))
	}
	if b.Subject != "" {
		subj := b.Subject
		// RFC 2047 5: text that looks like an encoded word is
		// encoded even in UTF-8 mode, or a reader decodes it into
		// something else.
		if !b.UTF8 || strings.Contains(subj, "=?") {
			subj = EncodeText(subj)
		}
		h.Add("Subject", subj)
	}
	h.Add("Message-ID", id)
	h.fields = append(h.fields, b.Header.fields...)
	info.Body = CheckBody(b.Body)
	if !b.Header.Has("Content-Type") {
		// RFC 2045 4, 5.2: say the body is MIME plain text and which
		// charset, rather than leave readers to assume US-ASCII.
		if !b.Header.Has("MIME-Version") {
			h.Add("MIME-Version", "1.0")
		}
		if info.Body.EightBit {
			h.Add("Content-Type", "text/plain; charset=utf-8")
			if !b.Header.Has("Content-Transfer-Encoding") {
				h.Add("Content-Transfer-Encoding", "8bit") // RFC 6152
			}
		} else {
			h.Add("Content-Type", "text/plain; charset=us-ascii")
		}
	}
	start := len(dst)
	out, err := h.AppendHeader(dst)
	if err != nil {
		return dst, info, err
	}
	if err := checkLimits(out[start:]); err != nil {
		return dst, info, err
	}
	info.UTF8Header = hasNonASCII(string(out[start:]))
	out = append(out, '\r', '\n')
	out = append(out, b.Body...)
	info.MessageID = id
	for _, l := range [...][]Address{b.To, b.Cc, b.Bcc} {
		for _, a := range l {
			info.Recipients = append(info.Recipients, a.Addr)
		}
	}
	return out, info, nil
}

// checkLimits checks a written header block (CRLF line ends, without the
// empty line) against the default Parser's limits, so that whatever the
// Builder writes ReadMessage and ParseHeader read back. The errors are
// the parser's: ErrHeaderTooLarge, ErrTooManyFields, and a *FieldError
// wrapping ErrFieldTooLong.
func checkLimits(hdr []byte) error {
	if len(hdr)+2 > DefaultMaxHeaderBytes {
		return ErrHeaderTooLarge
	}
	fields, fieldStart := 0, 0
	for i := 0; i < len(hdr); {
		end := len(hdr)
		if j := bytes.IndexByte(hdr[i:], '\n'); j >= 0 {
			end = i + j + 1
		}
		if hdr[i] != ' ' && hdr[i] != '\t' {
			fields++
			if fields > DefaultMaxFields {
				return ErrTooManyFields
			}
			fieldStart = i
		}
		if end-fieldStart > DefaultMaxFieldBytes {
			name, _, _ := bytes.Cut(hdr[fieldStart:], []byte(":"))
			return &FieldError{Field: string(name), Index: fields - 1, Err: ErrFieldTooLong}
		}
		i = end
	}
	return nil
}

// checkAddr checks that a parses back to itself.
func checkAddr(a Address) error {
	p, err := ParseAddress(a.Addr)
	if err != nil || p.Addr != a.Addr || p.Name != "" {
		return &ParseError{What: "address", Offset: 0, Msg: "not an addr-spec in canonical form: " + a.Addr, Err: ErrInvalidAddress}
	}
	return nil
}

// BodyInfo is what CheckBody finds in a message body.
type BodyInfo struct {
	EightBit    bool // an octet > 127: needs 8BITMIME (RFC 6152)
	NUL         bool // a NUL octet: not allowed even with 8BITMIME
	BareLineEnd bool // a CR not before LF or an LF not after CR (RFC 5322 2.3)
	LongLine    bool // a line over 998 octets (RFC 5322 2.1.1): needs BINARYMIME
}

// CheckBody reports what a body needs from the transport.
func CheckBody(body []byte) BodyInfo {
	var bi BodyInfo
	line := 0
	for i, c := range body {
		switch {
		case c == '\n':
			if i == 0 || body[i-1] != '\r' {
				bi.BareLineEnd = true
			}
			line = 0
			continue
		case c == '\r':
			if i+1 >= len(body) || body[i+1] != '\n' {
				bi.BareLineEnd = true
			}
			continue
		case c == 0:
			bi.NUL = true
		case c >= 0x80:
			bi.EightBit = true
		}
		line++
		if line > MaxLineLength {
			bi.LongLine = true
		}
	}
	return bi
}
