package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/relaykit/rfc5322"
)

// DefaultHeaders are the fields signed when SignOptions.Headers is nil
// (RFC 6376 5.4.1's recommendations and current practice).
var defaultHeaders = []string{
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date",
	"Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive", "List-Unsubscribe-Post",
	"Message-ID", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Content-Disposition",
}

// defaultOversign are the fields signed once more than they occur
// (RFC 6376 8.15), so that an added instance breaks the signature.
var defaultOversign = []string{
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"List-Unsubscribe", "List-Unsubscribe-Post",
}

// DefaultHeaders returns the list of fields signed when
// SignOptions.Headers is nil.
func DefaultHeaders() []string { return append([]string(nil), defaultHeaders...) }

// DefaultOversign returns the fields oversigned when SignOptions.Oversign
// is nil.
func DefaultOversign() []string { return append([]string(nil), defaultOversign...) }

// SignOptions describe one signature.
type SignOptions struct {
	// Domain (d=) and Selector (s=) name the key record
	// Selector._domainkey.Domain. Required.
	Domain, Selector string
	// Key is an *rsa.PrivateKey of at least 2048 bits (rsa-sha256) or an
	// ed25519.PrivateKey (ed25519-sha256, RFC 8463). Required.
	Key crypto.Signer
	// Identifier is i=, e.g. "alice@crepes.fr"; empty omits it.
	Identifier string
	// HeaderCanon and BodyCanon default to Relaxed.
	HeaderCanon, BodyCanon Canonicalization
	// Headers lists the fields to sign, From first; each present
	// instance is signed. Nil means DefaultHeaders(). From is always
	// signed (RFC 6376 5.4).
	Headers []string
	// Oversign lists fields signed once more than they occur, so that
	// nobody can add one. Nil means DefaultOversign(); an empty non-nil
	// slice turns oversigning off.
	Oversign []string
	// Timestamp writes t= (the signing time).
	Timestamp bool
	// Expiration, if positive, writes x= that far after the signing time.
	Expiration time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrKeyTooShort is returned for an RSA signing key under 2048 bits.
var ErrKeyTooShort = errors.New("dkim: RSA signing key shorter than 2048 bits")

// maxSignHeader bounds the header block a Signer keeps in memory.
const maxSignHeader = 1 << 20

type signKey struct {
	opt   SignOptions
	alg   Algorithm
	h     hash.Hash
	canon *bodyCanon
}

// Signer signs one message with one or more keys in one pass. Write the
// whole message (header, empty line, body) to it, then Close, then take
// the DKIM-Signature fields from Fields and put them in front of the
// message. Only the header block is kept in memory.
type Signer struct {
	keys   []*signKey
	hdrBuf []byte
	inBody bool
	closed bool
	err    error
	fields []byte
}

// NewSigner returns a Signer for the given keys (two for dual signing:
// RSA and Ed25519).
func NewSigner(opts ...SignOptions) (*Signer, error) {
	if len(opts) == 0 {
		return nil, errors.New("dkim: no signing key")
	}
	s := &Signer{}
	for _, o := range opts {
		k := &signKey{opt: o}
		if o.Domain == "" || o.Selector == "" {
			return nil, errors.New("dkim: Domain and Selector are required")
		}
		switch key := o.Key.(type) {
		case *rsa.PrivateKey:
			// RFC 8301 3.2: signers MUST use at least 1024 bits and
			// SHOULD use 2048; we insist on 2048.
			if key.N.BitLen() < 2048 {
				return nil, ErrKeyTooShort
			}
			k.alg = RSASHA256
		case ed25519.PrivateKey:
			k.alg = Ed25519SHA256
		case nil:
			return nil, errors.New("dkim: no signing key")
		default:
			if _, ok := o.Key.Public().(ed25519.PublicKey); ok {
				k.alg = Ed25519SHA256
			} else if pk, ok := o.Key.Public().(*rsa.PublicKey); ok {
				if pk.N.BitLen() < 2048 {
					return nil, ErrKeyTooShort
				}
				k.alg = RSASHA256
			} else {
				return nil, fmt.Errorf("dkim: unsupported key type %T", o.Key)
			}
		}
		if k.opt.HeaderCanon == "" {
			k.opt.HeaderCanon = Relaxed
		}
		if k.opt.BodyCanon == "" {
			k.opt.BodyCanon = Relaxed
		}
		if !validCanon(k.opt.HeaderCanon) || !validCanon(k.opt.BodyCanon) {
			return nil, errors.New("dkim: unknown canonicalization")
		}
		if k.opt.Identifier != "" {
			at := strings.LastIndexByte(k.opt.Identifier, '@')
			if at < 0 || !isSubdomain(k.opt.Identifier[at+1:], k.opt.Domain) {
				return nil, errors.New("dkim: Identifier not within Domain")
			}
		}
		k.h = sha256.New()
		k.canon = newBodyCanon(k.h, k.opt.BodyCanon, -1)
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// Write takes the next part of the message.
func (s *Signer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("dkim: write after Close")
	}
	n := len(p)
	for !s.inBody {
		if len(p) == 0 {
			return n, nil
		}
		// Take the header a piece at a time, so that a large first
		// write does not copy the body into the header buffer.
		chunk := p[:min(len(p), 4096)]
		old := len(s.hdrBuf)
		s.hdrBuf = append(s.hdrBuf, chunk...)
		end := headerEnd(s.hdrBuf, old)
		if end < 0 {
			if len(s.hdrBuf) > maxSignHeader {
				s.err = errors.New("dkim: header block too large")
				return 0, s.err
			}
			p = p[len(chunk):]
			continue
		}
		s.inBody = true
		// The bytes past the header end in this chunk are body.
		p = p[end-old:]
		s.hdrBuf = s.hdrBuf[:end]
	}
	for _, k := range s.keys {
		k.canon.Write(p)
	}
	return n, nil
}

// headerEnd returns the offset of the body (just past the empty line) in
// b, or -1; the search restarts a few bytes before from.
func headerEnd(b []byte, from int) int {
	from = max(from-3, 0)
	if from == 0 && len(b) > 0 && (b[0] == '\n' || bytes.HasPrefix(b, []byte("\r\n"))) {
		// No header at all.
		if b[0] == '\n' {
			return 1
		}
		return 2
	}
	for i := from; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

// Close computes the signatures. A message without an empty line is all
// header and has an empty body.
func (s *Signer) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.err != nil {
		return s.err
	}
	hdr, _, err := rfc5322.ParseHeader(s.hdrBuf)
	if err != nil {
		s.err = fmt.Errorf("dkim: %w", err)
		return s.err
	}
	if !hdr.Has("From") {
		s.err = ErrNoFrom
		return s.err
	}
	var buf []byte
	for _, k := range s.keys {
		k.canon.finish()
		field, err := k.sign(hdr, &buf)
		if err != nil {
			s.err = err
			return err
		}
		s.fields = append(s.fields, field...)
	}
	return nil
}

// Fields returns the DKIM-Signature fields, folded, each ending in CRLF,
// in the order of the options given to NewSigner. Call it after Close.
func (s *Signer) Fields() []byte { return s.fields }

// Sign reads a whole message from r and returns the DKIM-Signature
// fields to prepend to it.
func Sign(r io.Reader, opts ...SignOptions) ([]byte, error) {
	s, err := NewSigner(opts...)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(s, r); err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	return s.Fields(), nil
}

// headerList returns h= for hdr: every listed field present, oversigned
// ones once more.
func (k *signKey) headerList(hdr *rfc5322.Header) []string {
	names := k.opt.Headers
	if names == nil {
		names = defaultHeaders
	}
	over := k.opt.Oversign
	if over == nil {
		over = defaultOversign
	}
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		lower := strings.ToLower(name)
		if seen[lower] {
			return
		}
		seen[lower] = true
		n := hdr.Count(name)
		for _, o := range over {
			if strings.EqualFold(o, name) {
				n++
			}
		}
		for ; n > 0; n-- {
			out = append(out, lower)
		}
	}
	add("From") // RFC 6376 5.4: From MUST be signed.
	for _, name := range names {
		add(name)
	}
	return out
}

func (k *signKey) sign(hdr *rfc5322.Header, buf *[]byte) ([]byte, error) {
	now := time.Now
	if k.opt.Now != nil {
		now = k.opt.Now
	}
	t := now().Unix()
	var f folder
	f.b = append(f.b, "DKIM-Signature:"...)
	f.n = len(f.b)
	f.add("v=1;")
	f.add("a=" + string(k.alg) + ";")
	f.add("c=" + string(k.opt.HeaderCanon) + "/" + string(k.opt.BodyCanon) + ";")
	f.add("d=" + k.opt.Domain + ";")
	f.add("s=" + k.opt.Selector + ";")
	if k.opt.Identifier != "" {
		f.add("i=" + k.opt.Identifier + ";")
	}
	if k.opt.Timestamp {
		f.add("t=" + strconv.FormatInt(t, 10) + ";")
	}
	if k.opt.Expiration > 0 {
		f.add("x=" + strconv.FormatInt(t+int64(k.opt.Expiration/time.Second), 10) + ";")
	}
	names := k.headerList(hdr)
	for i, name := range names {
		switch {
		case i == 0:
			name = "h=" + name
		default:
			name = ":" + name
		}
		if i == len(names)-1 {
			name += ";"
		}
		f.addTight(name, i > 0)
	}
	f.add("bh=" + base64.StdEncoding.EncodeToString(k.h.Sum(nil)) + ";")
	f.add("b=")
	var sum [sha256.Size]byte
	*buf, sum = headerHash((*buf)[:0], hdr, names, k.opt.HeaderCanon, f.b)
	digest := sum[:]
	var sig []byte
	var err error
	switch key := k.opt.Key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(key, digest)
	default:
		if k.alg == Ed25519SHA256 {
			sig, err = k.opt.Key.Sign(rand.Reader, digest, crypto.Hash(0))
		} else {
			sig, err = k.opt.Key.Sign(rand.Reader, digest, crypto.SHA256)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dkim: signing: %w", err)
	}
	b64 := base64.StdEncoding.EncodeToString(sig)
	// Fold b= in pieces; FWS inside b= is ignored (RFC 6376 3.5).
	for b64 != "" {
		room := max(76-f.n, 8)
		if room > len(b64) {
			room = len(b64)
		}
		if f.n >= 76 {
			f.b = append(f.b, "\r\n\t"...)
			f.n = 1
			continue
		}
		f.b = append(f.b, b64[:room]...)
		f.n += room
		b64 = b64[room:]
	}
	f.b = append(f.b, "\r\n"...)
	return f.b, nil
}

// folder builds a folded header field (RFC 5322 2.2.3), lines kept under
// 78 characters where the tokens allow.
type folder struct {
	b []byte
	n int // length of the current line
}

func (f *folder) add(tok string) { f.addTight(tok, false) }

// addTight appends tok after a space, or without one when tight (inside
// h=, where a fold may come before the colon).
func (f *folder) addTight(tok string, tight bool) {
	need := len(tok)
	if !tight {
		need++
	}
	if f.n+need > 76 {
		f.b = append(f.b, "\r\n\t"...)
		f.n = 1
	} else if !tight {
		f.b = append(f.b, ' ')
		f.n++
	}
	f.b = append(f.b, tok...)
	f.n += len(tok)
}
