package rfc5322

import (
	"crypto/rand"
	"encoding/base32"
	"io"
	"strconv"
	"time"
)

// NewMessageID returns a new msg-id, angle brackets included, of the form
// "<random.time@domain>" (RFC 5322 3.6.4 asks that it be globally unique):
// 80 bits from crypto/rand in lower-case base32 and the current time in
// base 36.
func NewMessageID(domain string) string {
	id, _ := newMessageID(domain, time.Now(), nil)
	return id
}

// newMessageID makes a msg-id from now and r (crypto/rand if nil).
func newMessageID(domain string, now time.Time, r io.Reader) (string, error) {
	var rnd [10]byte
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, rnd[:]); err != nil {
		return "", err
	}
	b := make([]byte, 0, 48+len(domain))
	b = append(b, '<')
	b = base32.StdEncoding.WithPadding(base32.NoPadding).AppendEncode(b, rnd[:])
	for i := 1; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	b = append(b, '.')
	b = strconv.AppendInt(b, now.UnixNano(), 36)
	b = append(b, '@')
	b = append(b, domain...)
	b = append(b, '>')
	return string(b), nil
}

// ParseMsgIDList parses a list of msg-ids as in In-Reply-To and
// References (RFC 5322 3.6.4: 1*msg-id, with CFWS between; the obsolete
// forms of 4.5.4, local-part and domain with CFWS, are accepted). It
// returns each id without its angle brackets and with CFWS removed, as
// "id-left@id-right". Commas between ids, which some mailers write, are
// skipped, and so are the phrases that obs-in-reply-to and
// obs-references (RFC 5322 4.5.4) allow between ids ("Your message of
// ..." <id>).
func ParseMsgIDList(s string) ([]string, error) { return parseMsgIDs(s, true) }

func parseMsgIDs(s string, phrases bool) ([]string, error) {
	p := addrParser{s: s}
	if err := p.checkUTF8(); err != nil {
		return nil, err
	}
	var ids []string
	for {
		if !p.cfws() {
			return nil, p.msgIDError()
		}
		if p.i >= len(p.s) {
			break
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if phrases && p.s[p.i] != '<' {
			at := p.i
			var sc scan
			if !p.words(&sc) {
				return nil, p.msgIDError()
			}
			if p.i != at {
				continue
			}
		}
		id, ok := p.msgID()
		if !ok {
			return nil, p.msgIDError()
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		p.fail("no msg-id")
		return nil, p.msgIDError()
	}
	return ids, nil
}

// ParseMsgID parses exactly one msg-id, as in the Message-ID field.
func ParseMsgID(s string) (string, error) {
	ids, err := parseMsgIDs(s, false)
	if err != nil {
		return "", err
	}
	if len(ids) != 1 {
		return "", &ParseError{What: "msg-id", Offset: 0, Msg: "more than one msg-id", Err: ErrInvalidMsgID}
	}
	return ids[0], nil
}

func (p *addrParser) msgIDError() error {
	return &ParseError{What: "msg-id", Offset: p.errAt, Msg: p.msg, Err: ErrInvalidMsgID}
}

// msgID parses "<" id-left "@" id-right ">" where id-left is
// dot-atom-text / obs-id-left (local-part) and id-right is
// dot-atom-text / no-fold-literal / obs-id-right (domain).
func (p *addrParser) msgID() (string, bool) {
	if p.s[p.i] != '<' {
		return "", p.fail("expected '<'")
	}
	p.i++
	if !p.cfws() {
		return "", false
	}
	at := p.i
	var sc scan
	if !p.words(&sc) {
		return "", false
	}
	id, ok := p.addrSpec(at, &sc)
	if !ok {
		return "", false
	}
	if p.i >= len(p.s) || p.s[p.i] != '>' {
		return "", p.fail("expected '>'")
	}
	p.i++
	// A quoted id-left (obs-id-left) keeps its quotes in the result.
	return id, true
}
