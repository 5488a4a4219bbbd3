package mime

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error this package returns wraps one of them.
var (
	// Limits (see Config).
	ErrTooDeep        = errors.New("mime: parts nested deeper than the limit")
	ErrTooManyParts   = errors.New("mime: more parts than the limit")
	ErrHeaderTooLarge = errors.New("mime: part header exceeds the size limit")

	// ErrMalformedHeader: a part's header could not be read.
	ErrMalformedHeader = errors.New("mime: malformed part header")
	// ErrMalformedMediaType: a Content-Type or Content-Disposition
	// value does not parse (RFC 2045 5.1, RFC 2183 2).
	ErrMalformedMediaType = errors.New("mime: malformed media type")
	// ErrNoBoundary: a multipart part has no boundary parameter; its
	// body is read as a single leaf part.
	ErrNoBoundary = errors.New("mime: multipart without boundary")
	// ErrUnknownEncoding: a Content-Transfer-Encoding this package
	// cannot decode; the body is passed through undecoded.
	ErrUnknownEncoding = errors.New("mime: unknown Content-Transfer-Encoding")
	// ErrUnknownCharset: no decoder for a charset.
	ErrUnknownCharset = errors.New("mime: unknown charset")
	// ErrBase64: a base64 body holds octets outside the alphabet or
	// ends in a lone sextet (the decoder skips the first and drops the
	// second, as RFC 2045 6.8 says a reader should; the error is
	// reported by Walker.Problems in lenient reads).
	ErrBase64 = errors.New("mime: malformed base64")
	// ErrMissingBoundary: the input ended before the close delimiter of
	// a multipart (RFC 2046 5.1.1); the parts read so far are kept.
	ErrMissingBoundary = errors.New("mime: missing close boundary")
)

// A PartError says which part, and where in the input, a problem was
// found. Part is the IMAP section number ("" for the message itself,
// "1.2" for the second part of the first).
type PartError struct {
	Part   string
	Offset int64
	Err    error
}

func (e *PartError) Error() string {
	p := e.Part
	if p == "" {
		p = "TEXT"
	}
	return "mime: part " + p + " at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
}

func (e *PartError) Unwrap() error { return e.Err }
