package dane

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
)

// Usage is the TLSA certificate usage field (RFC 6698 2.1.1, RFC 7218
// names).
type Usage uint8

// Certificate usages.
const (
	PKIXTA Usage = 0 // CA constraint; unusable for SMTP (RFC 7672 3.1.3)
	PKIXEE Usage = 1 // service certificate constraint; unusable for SMTP
	DANETA Usage = 2 // trust anchor assertion
	DANEEE Usage = 3 // domain-issued certificate
)

// Selector is the TLSA selector field (RFC 6698 2.1.2).
type Selector uint8

// Selectors.
const (
	SelectorCert Selector = 0 // the full certificate (DER)
	SelectorSPKI Selector = 1 // the SubjectPublicKeyInfo (DER)
)

// MatchingType is the TLSA matching type field (RFC 6698 2.1.3).
type MatchingType uint8

// Matching types.
const (
	MatchFull   MatchingType = 0 // the selected content itself
	MatchSHA256 MatchingType = 1
	MatchSHA512 MatchingType = 2
)

// TLSA is the data of one TLSA record (RFC 6698 2.1).
type TLSA struct {
	Usage        Usage
	Selector     Selector
	MatchingType MatchingType
	Data         []byte // the certificate association data
}

// Errors from the TLSA parsers.
var (
	ErrShortRecord = errors.New("dane: TLSA data too short")
	ErrSyntax      = errors.New("dane: TLSA presentation syntax")
)

// maxData bounds association data: a certificate larger than this is not
// a certificate a mail server sends (and the whole RDATA must fit in 65535
// octets anyway).
const maxData = 65535 - 3

// ParseTLSA decodes TLSA RDATA (RFC 6698 2.1): three octets and the
// association data, which it copies.
func ParseTLSA(rdata []byte) (TLSA, error) {
	if len(rdata) < 4 {
		// RFC 6698 2.1.4 leaves an empty association data undefined; no
		// matching type accepts it.
		return TLSA{}, ErrShortRecord
	}
	if len(rdata)-3 > maxData {
		return TLSA{}, ErrSyntax
	}
	return TLSA{Usage(rdata[0]), Selector(rdata[1]), MatchingType(rdata[2]), append([]byte(nil), rdata[3:]...)}, nil
}

// AppendRData appends the record's wire form to dst.
func (r TLSA) AppendRData(dst []byte) []byte {
	dst = append(dst, byte(r.Usage), byte(r.Selector), byte(r.MatchingType))
	return append(dst, r.Data...)
}

// String returns the presentation form, "3 1 1 <hex>" (RFC 6698 2.2).
func (r TLSA) String() string {
	return strconv.Itoa(int(r.Usage)) + " " + strconv.Itoa(int(r.Selector)) + " " + strconv.Itoa(int(r.MatchingType)) + " " + strings.ToUpper(hex.EncodeToString(r.Data))
}

// ParseTLSAText parses the presentation form of the record data: three
// decimal fields and the association data in hexadecimal, which may be
// split by white space (RFC 6698 2.2). Parentheses are a zone file's
// business and are not accepted here.
func ParseTLSAText(s string) (TLSA, error) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return TLSA{}, ErrSyntax
	}
	var b [3]uint8
	for i := range b {
		n, err := strconv.ParseUint(f[i], 10, 8)
		if err != nil {
			return TLSA{}, ErrSyntax
		}
		b[i] = uint8(n)
	}
	var n int
	for _, x := range f[3:] {
		n += len(x)
	}
	if n%2 != 0 || n/2 > maxData {
		return TLSA{}, ErrSyntax
	}
	data := make([]byte, 0, n/2)
	for _, x := range f[3:] {
		var err error
		if data, err = hex.AppendDecode(data, []byte(x)); err != nil {
			return TLSA{}, ErrSyntax
		}
	}
	if len(data) == 0 {
		return TLSA{}, ErrShortRecord
	}
	return TLSA{Usage(b[0]), Selector(b[1]), MatchingType(b[2]), data}, nil
}

// Usable reports whether a client doing DANE for SMTP can use the record:
// a DANE-TA or DANE-EE usage, a known selector, and a known matching type
// whose data has the right length (RFC 7672 3.1.3, RFC 7671 5).
func (r TLSA) Usable() bool {
	if r.Usage != DANETA && r.Usage != DANEEE {
		return false
	}
	if r.Selector != SelectorCert && r.Selector != SelectorSPKI {
		return false
	}
	switch r.MatchingType {
	case MatchFull:
		return len(r.Data) > 0
	case MatchSHA256:
		return len(r.Data) == 32
	case MatchSHA512:
		return len(r.Data) == 64
	}
	return false
}
