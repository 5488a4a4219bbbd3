package mailqueue

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/relaykit/relaykit/rfc5322"
)

// MessageSigner computes the DKIM-Signature fields (RFC 6376) of one
// message: write the whole message to it (header, empty line, body),
// Close it, then Fields returns the fields to put in front of the
// message, each ending in CRLF. *dkim.Signer satisfies it; the queue does
// not import dkim (DESIGN.md floors), the program wires the two.
type MessageSigner interface {
	io.Writer
	Close() error
	Fields() []byte
}

// SignFunc returns a fresh MessageSigner for a message whose author (the
// From field) is in domain, or nil to send the message unsigned (no key
// is configured for that domain). A program keeps one key per sender
// domain and returns dkim.NewSigner(options for that domain).
type SignFunc func(domain string) (MessageSigner, error)

// ErrSign is returned by Enqueue when Config.Sign is set and signing a
// message failed; the message is not queued (an SMTP server answers
// 451, a local error).
var ErrSign = errors.New("mailqueue: DKIM signing failed")

// signDomain is the domain a message is signed for: the domain of the
// first address in its From field (so that d= aligns with it for DMARC,
// RFC 7489 3.1.1), or the reverse-path's domain when the header has no
// usable From.
func signDomain(env *Envelope, body []byte) string {
	if hdr, _, err := rfc5322.ParseHeader(body); err == nil {
		if addrs, err := hdr.AddressList("From"); err == nil && len(addrs) > 0 {
			if d := addrs[0].Domain(); d != "" {
				return strings.ToLower(d)
			}
		}
	}
	if at := strings.LastIndexByte(env.From, '@'); at >= 0 {
		return strings.ToLower(env.From[at+1:])
	}
	return ""
}

// sign returns body with the DKIM-Signature fields of the signer that
// Config.Sign gives for its domain in front; body itself when there is
// none. It runs after the queue's own changes to the message (long lines
// folded), so the signature covers the bytes that are sent.
func (q *Queue) sign(env *Envelope, body []byte) ([]byte, error) {
	d := signDomain(env, body)
	if d == "" {
		return body, nil
	}
	s, err := q.cfg.Sign(d)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSign, d, err)
	}
	if s == nil {
		return body, nil
	}
	if _, err := s.Write(body); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSign, d, err)
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSign, d, err)
	}
	f := s.Fields()
	out := make([]byte, 0, len(f)+len(body))
	return append(append(out, f...), body...), nil
}
