package dnswire

import (
	"strconv"
	"strings"
)

// Type is an RR TYPE or QTYPE (RFC 1035 3.2.2, 3.2.3; IANA registry).
type Type uint16

// Record types with typed data in this package, and a few more that print
// by name.
const (
	TypeA      Type = 1
	TypeNS     Type = 2
	TypeCNAME  Type = 5
	TypeSOA    Type = 6
	TypePTR    Type = 12
	TypeHINFO  Type = 13
	TypeMX     Type = 15
	TypeTXT    Type = 16
	TypeAAAA   Type = 28
	TypeSRV    Type = 33
	TypeSIG    Type = 24
	TypeNAPTR  Type = 35
	TypeDNAME  Type = 39
	TypeDS     Type = 43
	TypeRRSIG  Type = 46
	TypeNSEC   Type = 47
	TypeDNSKEY Type = 48
	TypeSVCB   Type = 64
	TypeHTTPS  Type = 65
	TypeOPT    Type = 41
	TypeAXFR   Type = 252
	TypeANY    Type = 255
	TypeCAA    Type = 257
)

// typeNames is a switch, not a map, so the package holds no mutable state.
func typeName(t Type) string {
	switch t {
	case TypeA:
		return "A"
	case TypeNS:
		return "NS"
	case TypeCNAME:
		return "CNAME"
	case TypeSOA:
		return "SOA"
	case TypePTR:
		return "PTR"
	case TypeHINFO:
		return "HINFO"
	case TypeMX:
		return "MX"
	case TypeTXT:
		return "TXT"
	case TypeAAAA:
		return "AAAA"
	case TypeSRV:
		return "SRV"
	case TypeNAPTR:
		return "NAPTR"
	case TypeDNAME:
		return "DNAME"
	case TypeTSIG:
		return "TSIG"
	case TypeTKEY:
		return "TKEY"
	case TypeDS:
		return "DS"
	case TypeRRSIG:
		return "RRSIG"
	case TypeNSEC:
		return "NSEC"
	case TypeDNSKEY:
		return "DNSKEY"
	case TypeSVCB:
		return "SVCB"
	case TypeHTTPS:
		return "HTTPS"
	case TypeOPT:
		return "OPT"
	case TypeAXFR:
		return "AXFR"
	case TypeANY:
		return "ANY"
	case TypeCAA:
		return "CAA"
	case TypeMD:
		return "MD"
	case TypeMF:
		return "MF"
	case TypeMB:
		return "MB"
	case TypeMG:
		return "MG"
	case TypeMR:
		return "MR"
	case TypeMINFO:
		return "MINFO"
	case TypeRP:
		return "RP"
	case TypeAFSDB:
		return "AFSDB"
	case TypeRT:
		return "RT"
	case TypeSIG:
		return "SIG"
	case TypePX:
		return "PX"
	case TypeNXT:
		return "NXT"
	case TypeCDS:
		return "CDS"
	case TypeCDNSKEY:
		return "CDNSKEY"
	case TypeNSEC3:
		return "NSEC3"
	case TypeNSEC3PARAM:
		return "NSEC3PARAM"
	case TypeSSHFP:
		return "SSHFP"
	case TypeTLSA:
		return "TLSA"
	case TypeSMIMEA:
		return "SMIMEA"
	case TypeURI:
		return "URI"
	case TypeZONEMD:
		return "ZONEMD"
	}
	return ""
}

// String returns the mnemonic, or "TYPEn" for types without one
// (RFC 3597 5).
func (t Type) String() string {
	if s := typeName(t); s != "" {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// ParseType reads a type mnemonic (case-insensitive) or the RFC 3597 form
// TYPEn.
func ParseType(s string) (Type, bool) {
	u := strings.ToUpper(s)
	for _, t := range knownTypes() {
		if typeName(t) == u {
			return t, true
		}
	}
	if n, ok := numSuffix(u, "TYPE"); ok {
		return Type(n), true
	}
	return 0, false
}

// knownTypes lists every type with a mnemonic.
func knownTypes() *[45]Type {
	return &[...]Type{TypeA, TypeNS, TypeCNAME, TypeSOA, TypePTR, TypeHINFO, TypeMX, TypeTXT,
		TypeAAAA, TypeSRV, TypeNAPTR, TypeDNAME, TypeDS, TypeRRSIG, TypeNSEC, TypeDNSKEY, TypeSVCB, TypeHTTPS,
		TypeOPT, TypeAXFR, TypeANY, TypeCAA, TypeMD, TypeMF, TypeMB, TypeMG, TypeMR, TypeMINFO, TypeRP, TypeAFSDB, TypeRT, TypeSIG, TypePX, TypeNXT, TypeCDS, TypeCDNSKEY, TypeNSEC3, TypeNSEC3PARAM, TypeSSHFP, TypeTLSA, TypeSMIMEA, TypeURI, TypeZONEMD, TypeTSIG, TypeTKEY}
}

func numSuffix(s, prefix string) (uint16, bool) {
	if len(s) <= len(prefix) || s[:len(prefix)] != prefix {
		return 0, false
	}
	n, err := strconv.ParseUint(s[len(prefix):], 10, 16)
	if err != nil {
		return 0, false
	}
	return uint16(n), true
}

// Class is an RR CLASS or QCLASS (RFC 1035 3.2.4, 3.2.5; RFC 2136 for
// NONE and ANY in UPDATE).
type Class uint16

// Classes.
const (
	ClassINET   Class = 1
	ClassCHAOS  Class = 3
	ClassHESIOD Class = 4
	ClassNONE   Class = 254
	ClassANY    Class = 255
)

// String returns IN, CH, HS, NONE, ANY or CLASSn (RFC 3597 5).
func (c Class) String() string {
	switch c {
	case ClassINET:
		return "IN"
	case ClassCHAOS:
		return "CH"
	case ClassHESIOD:
		return "HS"
	case ClassNONE:
		return "NONE"
	case ClassANY:
		return "ANY"
	}
	return "CLASS" + strconv.Itoa(int(c))
}

// ParseClass reads a class mnemonic (case-insensitive) or CLASSn.
func ParseClass(s string) (Class, bool) {
	switch strings.ToUpper(s) {
	case "IN":
		return ClassINET, true
	case "CH":
		return ClassCHAOS, true
	case "HS":
		return ClassHESIOD, true
	case "NONE":
		return ClassNONE, true
	case "ANY":
		return ClassANY, true
	}
	if n, ok := numSuffix(strings.ToUpper(s), "CLASS"); ok {
		return Class(n), true
	}
	return 0, false
}

// RCode is a response code. Values above 15 are extended RCODEs whose upper
// 8 bits travel in the EDNS0 OPT record (RFC 6891 6.1.3); Msg merges both
// parts into this one 12-bit value.
type RCode uint16

// Response codes (RFC 1035 4.1.1, RFC 2136 2.2, RFC 6891 9).
const (
	RCodeSuccess        RCode = 0
	RCodeFormatError    RCode = 1
	RCodeServerFailure  RCode = 2
	RCodeNameError      RCode = 3
	RCodeNotImplemented RCode = 4
	RCodeRefused        RCode = 5
	RCodeYXDomain       RCode = 6
	RCodeYXRRSet        RCode = 7
	RCodeNXRRSet        RCode = 8
	RCodeNotAuth        RCode = 9
	RCodeNotZone        RCode = 10
	RCodeBadVers        RCode = 16
	RCodeBadCookie      RCode = 23
)

// String returns the mnemonic dig prints (NOERROR, NXDOMAIN, ...), or
// RCODEn.
func (r RCode) String() string {
	switch r {
	case RCodeSuccess:
		return "NOERROR"
	case RCodeFormatError:
		return "FORMERR"
	case RCodeServerFailure:
		return "SERVFAIL"
	case RCodeNameError:
		return "NXDOMAIN"
	case RCodeNotImplemented:
		return "NOTIMP"
	case RCodeRefused:
		return "REFUSED"
	case RCodeYXDomain:
		return "YXDOMAIN"
	case RCodeYXRRSet:
		return "YXRRSET"
	case RCodeNXRRSet:
		return "NXRRSET"
	case RCodeNotAuth:
		return "NOTAUTH"
	case RCodeNotZone:
		return "NOTZONE"
	case RCodeBadVers:
		return "BADVERS"
	case RCodeBadCookie:
		return "BADCOOKIE"
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// Opcode is the kind of query (RFC 1035 4.1.1, RFC 1996, RFC 2136).
type Opcode uint8

// Opcodes.
const (
	OpcodeQuery  Opcode = 0
	OpcodeIQuery Opcode = 1
	OpcodeStatus Opcode = 2
	OpcodeNotify Opcode = 4
	OpcodeUpdate Opcode = 5
	OpcodeDSO    Opcode = 6
)

// String returns QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO or OPCODEn.
func (o Opcode) String() string {
	switch o {
	case OpcodeQuery:
		return "QUERY"
	case OpcodeIQuery:
		return "IQUERY"
	case OpcodeStatus:
		return "STATUS"
	case OpcodeNotify:
		return "NOTIFY"
	case OpcodeUpdate:
		return "UPDATE"
	case OpcodeDSO:
		return "DSO"
	}
	return "OPCODE" + strconv.Itoa(int(o))
}

// Section names a part of a message.
type Section uint8

// Sections, in wire order. For UPDATE messages (RFC 2136 2) the same four
// sections are called zone, prerequisite, update and additional; see the
// SectionZone... aliases.
const (
	SectionHeader Section = iota
	SectionQuestion
	SectionAnswer
	SectionAuthority
	SectionAdditional
)

// RFC 2136 2.2 names for the sections of an UPDATE message.
const (
	SectionZone         = SectionQuestion
	SectionPrerequisite = SectionAnswer
	SectionUpdate       = SectionAuthority
)

// String returns "header", "question", "answer", "authority" or
// "additional".
func (s Section) String() string {
	switch s {
	case SectionHeader:
		return "header"
	case SectionQuestion:
		return "question"
	case SectionAnswer:
		return "answer"
	case SectionAuthority:
		return "authority"
	case SectionAdditional:
		return "additional"
	}
	return "section" + strconv.Itoa(int(s))
}
