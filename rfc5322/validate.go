package rfc5322

import (
	"fmt"
	"strings"
)

// singleFields may occur at most once (RFC 5322 3.6, the table in 3.6:
// "Max number" 1).
const singleFields = "Date From Sender Reply-To To Cc Bcc Message-ID In-Reply-To References Subject"

// Validate checks a header against RFC 5322 3.6 and returns nil or a
// *ValidationError listing every problem, each distinct so that a server
// can choose which to enforce with errors.Is:
//
//   - ErrMissingFrom, ErrMissingDate: the required origination fields
//     (3.6.1, 3.6.2) are absent;
//   - ErrRepeatedField (in a *FieldError): a field that may occur once
//     (Date, From, Sender, Reply-To, To, Cc, Bcc, Message-ID,
//     In-Reply-To, References, Subject) occurs again;
//   - ErrSenderRequired: From has several mailboxes and there is no
//     Sender (3.6.2);
//   - ErrMalformedField (in a *FieldError, wrapping the parse error too):
//     Date, From, Sender, Reply-To, To, Cc, Bcc, Message-ID,
//     In-Reply-To or References does not parse (From and Sender must be
//     mailboxes, not groups);
//   - ErrLineTooLong (in a *FieldError): a line over 998 octets (2.1.1);
//   - ErrBareLineEnd (in a *FieldError): a CR or LF that is not part of
//     a CRLF (2.2), which includes headers parsed with LF line ends.
//
// An encoded word in an unknown charset is not a problem here.
func Validate(h *Header) error {
	var probs []error
	seen := make(map[string]bool, 4)
	fromCount := -1
	hasSender := false
	for i := range h.fields {
		f := &h.fields[i]
		name := f.NameBytes()
		if single := canonicalSingle(name); single != "" {
			if seen[single] {
				probs = append(probs, &FieldError{Field: f.Name(), Index: i, Err: ErrRepeatedField})
			}
			seen[single] = true
		}
		if err := checkLines(f); err != nil {
			probs = append(probs, &FieldError{Field: f.Name(), Index: i, Err: err})
		}
		var err error
		switch {
		case f.Is("Date"):
			_, err = ParseDate(f.Value())
		case f.Is("From"):
			var n int
			n, err = mailboxCount(f.Value())
			if fromCount < 0 {
				fromCount = n
			}
		case f.Is("Sender"):
			hasSender = true
			_, err = ParseAddress(f.Value())
		case f.Is("Reply-To"), f.Is("To"), f.Is("Cc"):
			_, err = ParseGroupList(f.Value())
		case f.Is("Bcc"):
			// RFC 5322 3.6.3: Bcc may be empty (CFWS only).
			if v := f.Value(); !onlyCFWS(v) {
				_, err = ParseGroupList(v)
			}
		case f.Is("Message-ID"):
			_, err = ParseMsgID(f.Value())
		case f.Is("In-Reply-To"), f.Is("References"):
			_, err = ParseMsgIDList(f.Value())
		}
		if err != nil && !isOnlyCharset(err) {
			probs = append(probs, &FieldError{Field: f.Name(), Index: i, Err: fmt.Errorf("%w: %w", ErrMalformedField, err)})
		}
	}
	if !seen["From"] {
		probs = append(probs, ErrMissingFrom)
	}
	if !seen["Date"] {
		probs = append(probs, ErrMissingDate)
	}
	if fromCount > 1 && !hasSender {
		probs = append(probs, ErrSenderRequired)
	}
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: probs}
}

func canonicalSingle(name []byte) string {
	s := singleFields
	for len(s) > 0 {
		n := strings.IndexByte(s, ' ')
		if n < 0 {
			n = len(s)
		}
		if equalFold(name, s[:n]) {
			return s[:n]
		}
		if n == len(s) {
			break
		}
		s = s[n+1:]
	}
	return ""
}

func isOnlyCharset(err error) bool {
	_, ok := err.(*CharsetError)
	return ok
}

// mailboxCount parses a mailbox-list (no groups, RFC 5322 3.6.2 From).
func mailboxCount(v string) (int, error) {
	gs, err := ParseGroupList(v)
	if err != nil && !isOnlyCharset(err) {
		return 0, err
	}
	for _, g := range gs {
		if g.IsGroup {
			return 0, &ParseError{What: "address", Msg: "group in a mailbox-list", Err: ErrInvalidAddress}
		}
	}
	return len(gs), nil
}

func onlyCFWS(v string) bool {
	p := addrParser{s: v}
	return p.cfws() && p.i == len(v)
}

// checkLines reports a line over 998 octets or a bare CR or LF.
func checkLines(f *Field) error {
	raw := f.raw
	if f.made {
		return nil // checked by the writer
	}
	line := 0
	for i, c := range raw {
		switch c {
		case '\n':
			if i == 0 || raw[i-1] != '\r' {
				return ErrBareLineEnd
			}
			line = 0
			continue
		case '\r':
			if i+1 >= len(raw) || raw[i+1] != '\n' {
				return ErrBareLineEnd
			}
			continue
		}
		line++
		if line > MaxLineLength {
			return ErrLineTooLong
		}
	}
	return nil
}
