package dnswire

// slab hands out pointers to T from a reusable slice. When it is full it
// starts a new, larger slice instead of growing in place, so pointers
// already handed out stay valid; after warm-up the last slice is big
// enough and reset makes the next round allocation-free.
type slab[T any] struct{ s []T }

func (a *slab[T]) next() *T {
	if len(a.s) == cap(a.s) {
		a.s = make([]T, 0, max(4, 2*cap(a.s)))
	}
	a.s = a.s[:len(a.s)+1]
	return &a.s[len(a.s)-1]
}

func (a *slab[T]) reset() { a.s = a.s[:0] }

// store is the storage a Msg reuses across Unpack calls: typed record data
// and the bytes of variable-length fields, so that Unpack into a warm Msg
// allocates nothing.
type store struct {
	a           slab[A]
	aaaa        slab[AAAA]
	ns          slab[NS]
	cname       slab[CNAME]
	ptr         slab[PTR]
	mx          slab[MX]
	soa         slab[SOA]
	txt         slab[TXT]
	srv         slab[SRV]
	caa         slab[CAA]
	unknown     slab[Unknown]
	dname       slab[DNAME]
	ds_         slab[DS]
	cds_        slab[CDS]
	dnskey_     slab[DNSKEY]
	cdnskey_    slab[CDNSKEY]
	rrsig_      slab[RRSIG]
	sig_        slab[SIG]
	nsec_       slab[NSEC]
	nsec3_      slab[NSEC3]
	nsec3param_ slab[NSEC3PARAM]
	hinfo_      slab[HINFO]
	naptr_      slab[NAPTR]
	sshfp_      slab[SSHFP]
	tlsa_       slab[TLSA]
	smimea_     slab[SMIMEA]
	uri_        slab[URI]
	zonemd_     slab[ZONEMD]
	types       []Type
	params      []SVCParam
	svcb_       slab[SVCB]
	https_      slab[HTTPS]
	bytes       []byte
	segs        [][]byte
	opts        []EDNSOption
	edns        EDNS
}

func (st *store) reset(msgLen int) {
	st.a.reset()
	st.aaaa.reset()
	st.ns.reset()
	st.cname.reset()
	st.ptr.reset()
	st.mx.reset()
	st.soa.reset()
	st.txt.reset()
	st.srv.reset()
	st.caa.reset()
	st.unknown.reset()
	st.dname.reset()
	st.ds_.reset()
	st.cds_.reset()
	st.dnskey_.reset()
	st.cdnskey_.reset()
	st.rrsig_.reset()
	st.sig_.reset()
	st.nsec_.reset()
	st.nsec3_.reset()
	st.nsec3param_.reset()
	st.hinfo_.reset()
	st.naptr_.reset()
	st.sshfp_.reset()
	st.tlsa_.reset()
	st.smimea_.reset()
	st.uri_.reset()
	st.zonemd_.reset()
	st.types = st.types[:0]
	st.params = st.params[:0]
	st.svcb_.reset()
	st.https_.reset()
	// Every copied field is a distinct part of the message, so msgLen
	// bytes nearly always suffice; only names decompressed out of RFC 3597
	// 4 types can need more, and then append moves on to a new array
	// while slices already handed out keep the old one.
	if cap(st.bytes) < msgLen {
		st.bytes = make([]byte, 0, msgLen)
	}
	st.bytes = st.bytes[:0]
	st.segs = st.segs[:0]
	st.opts = st.opts[:0]
}

// copyBytes copies b into the store; with a nil store it returns b itself
// (capacity clipped), for the Parser's aliasing accessors.
func (st *store) copyBytes(b []byte) []byte {
	if st == nil {
		return b[:len(b):len(b)]
	}
	if len(b) == 0 {
		return nil
	}
	n := len(st.bytes)
	st.bytes = append(st.bytes, b...)
	return st.bytes[n : n+len(b) : n+len(b)]
}

// newRData returns empty typed data for t from the store, or freshly
// allocated when st is nil.
func (st *store) newRData(t Type) RData {
	if st == nil {
		return newRData(t)
	}
	switch t {
	case TypeA:
		return st.a.next()
	case TypeAAAA:
		return st.aaaa.next()
	case TypeNS:
		return st.ns.next()
	case TypeCNAME:
		return st.cname.next()
	case TypePTR:
		return st.ptr.next()
	case TypeMX:
		return st.mx.next()
	case TypeSOA:
		return st.soa.next()
	case TypeTXT:
		return st.txt.next()
	case TypeSRV:
		return st.srv.next()
	case TypeCAA:
		return st.caa.next()
	case TypeDNAME:
		return st.dname.next()
	case TypeSVCB:
		return st.svcb_.next()
	case TypeHTTPS:
		return st.https_.next()
	case TypeDS:
		return st.ds_.next()
	case TypeCDS:
		return st.cds_.next()
	case TypeDNSKEY:
		return st.dnskey_.next()
	case TypeCDNSKEY:
		return st.cdnskey_.next()
	case TypeRRSIG:
		return st.rrsig_.next()
	case TypeSIG:
		return st.sig_.next()
	case TypeNSEC:
		return st.nsec_.next()
	case TypeNSEC3:
		return st.nsec3_.next()
	case TypeNSEC3PARAM:
		return st.nsec3param_.next()
	case TypeHINFO:
		return st.hinfo_.next()
	case TypeNAPTR:
		return st.naptr_.next()
	case TypeSSHFP:
		return st.sshfp_.next()
	case TypeTLSA:
		return st.tlsa_.next()
	case TypeSMIMEA:
		return st.smimea_.next()
	case TypeURI:
		return st.uri_.next()
	case TypeZONEMD:
		return st.zonemd_.next()
	case TypeTSIG:
		return new(TSIG)
	case TypeTKEY:
		return new(TKEY)
	}
	u := st.unknown.next()
	u.T = t
	return u
}

// newRData allocates empty typed data for t.
func newRData(t Type) RData {
	switch t {
	case TypeA:
		return new(A)
	case TypeAAAA:
		return new(AAAA)
	case TypeNS:
		return new(NS)
	case TypeCNAME:
		return new(CNAME)
	case TypePTR:
		return new(PTR)
	case TypeMX:
		return new(MX)
	case TypeSOA:
		return new(SOA)
	case TypeTXT:
		return new(TXT)
	case TypeSRV:
		return new(SRV)
	case TypeCAA:
		return new(CAA)
	case TypeDNAME:
		return new(DNAME)
	case TypeSVCB:
		return new(SVCB)
	case TypeHTTPS:
		return new(HTTPS)
	case TypeDS:
		return new(DS)
	case TypeCDS:
		return new(CDS)
	case TypeDNSKEY:
		return new(DNSKEY)
	case TypeCDNSKEY:
		return new(CDNSKEY)
	case TypeRRSIG:
		return new(RRSIG)
	case TypeSIG:
		return new(SIG)
	case TypeNSEC:
		return new(NSEC)
	case TypeNSEC3:
		return new(NSEC3)
	case TypeNSEC3PARAM:
		return new(NSEC3PARAM)
	case TypeHINFO:
		return new(HINFO)
	case TypeNAPTR:
		return new(NAPTR)
	case TypeSSHFP:
		return new(SSHFP)
	case TypeTLSA:
		return new(TLSA)
	case TypeSMIMEA:
		return new(SMIMEA)
	case TypeURI:
		return new(URI)
	case TypeZONEMD:
		return new(ZONEMD)
	case TypeTSIG:
		return new(TSIG)
	case TypeTKEY:
		return new(TKEY)
	}
	return &Unknown{T: t}
}
