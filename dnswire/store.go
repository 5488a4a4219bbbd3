package dnswire

// slab hands out pointers to T from a reusable slice. When it is full it
// starts a new, larger slice instead of growing in place, so pointers
// already handed out stay valid; after warm-up the last slice is big
// enough and reset makes the next round allocation-free.
//
// The first slice of a fresh store has exactly the size the message
// needs (the store's hint, counted before decoding), so a fresh Msg
// allocates one array per record type present, sized to fit.
type slab[T any] struct{ s []T }

func (a *slab[T]) next(hint uint16) *T {
	if len(a.s) == cap(a.s) {
		n := max(4, 2*cap(a.s))
		if cap(a.s) == 0 && hint > 0 {
			n = int(hint)
		}
		a.s = make([]T, 0, n)
	}
	a.s = a.s[:len(a.s)+1]
	return &a.s[len(a.s)-1]
}

func (a *slab[T]) reset() { a.s = a.s[:0] }

// store is the storage a Msg reuses across Unpack calls: typed record data
// and the bytes of variable-length fields, so that Unpack into a warm Msg
// allocates nothing. The types a mail server's resolver meets on every
// lookup live here; the rest (DNSSEC, SVCB, ...) in rare, allocated on
// first use, which keeps a fresh Msg small.
type store struct {
	a       slab[A]
	aaaa    slab[AAAA]
	ns      slab[NS]
	cname   slab[CNAME]
	ptr     slab[PTR]
	mx      slab[MX]
	soa     slab[SOA]
	txt     slab[TXT]
	srv     slab[SRV]
	unknown slab[Unknown]
	bytes   []byte
	segs    [][]byte
	opts    []EDNSOption
	edns    EDNS
	msgLen  int // length of the message being decoded
	// hints counts (up to 255) the records of each type below
	// hintTypes in the message of a fresh store's first Unpack, for
	// slab; hinted says they are set.
	hints  [hintTypes]uint8
	hinted bool
	rare   *rareStore
	nc     nameCache // the Parser's, lent for the record data (Msg.Unpack)
}

// cache returns the store's name cache, nil for a nil store.
func (st *store) cache() *nameCache {
	if st == nil {
		return nil
	}
	return &st.nc
}

// hintTypes bounds the types whose records are counted for a fresh
// store's slabs: every type below TypeHTTPS (65); later types start at 4.
const hintTypes = 66

func (st *store) hint(t Type) uint16 {
	if !st.hinted || int(t) >= hintTypes {
		return 0
	}
	return uint16(st.hints[t])
}

// rareStore holds the slabs of the types met less often.
type rareStore struct {
	caa         slab[CAA]
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
	svcb_       slab[SVCB]
	https_      slab[HTTPS]
	types       []Type
	params      []SVCParam
}

func (r *rareStore) reset() {
	r.caa.reset()
	r.dname.reset()
	r.ds_.reset()
	r.cds_.reset()
	r.dnskey_.reset()
	r.cdnskey_.reset()
	r.rrsig_.reset()
	r.sig_.reset()
	r.nsec_.reset()
	r.nsec3_.reset()
	r.nsec3param_.reset()
	r.hinfo_.reset()
	r.naptr_.reset()
	r.sshfp_.reset()
	r.tlsa_.reset()
	r.smimea_.reset()
	r.uri_.reset()
	r.zonemd_.reset()
	r.svcb_.reset()
	r.https_.reset()
	r.types = r.types[:0]
	r.params = r.params[:0]
}

// rareSlabs returns the store's rare part, allocating it on first use.
func (st *store) rareSlabs() *rareStore {
	if st.rare == nil {
		st.rare = new(rareStore)
	}
	return st.rare
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
	st.unknown.reset()
	if st.rare != nil {
		st.rare.reset()
	}
	if st.hinted {
		st.hints, st.hinted = [hintTypes]uint8{}, false
	}
	// Every copied field is a distinct part of the message, so msgLen
	// bytes nearly always suffice; only names decompressed out of RFC 3597
	// 4 types can need more, and then append moves on to a new array
	// while slices already handed out keep the old one. The array is
	// made on first use (most answers copy no bytes at all).
	st.msgLen = msgLen
	if cap(st.bytes) < msgLen {
		st.bytes = nil
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
	if st.bytes == nil {
		st.bytes = make([]byte, 0, max(st.msgLen, len(b)))
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
		return st.a.next(st.hint(t))
	case TypeAAAA:
		return st.aaaa.next(st.hint(t))
	case TypeNS:
		return st.ns.next(st.hint(t))
	case TypeCNAME:
		return st.cname.next(st.hint(t))
	case TypePTR:
		return st.ptr.next(st.hint(t))
	case TypeMX:
		return st.mx.next(st.hint(t))
	case TypeSOA:
		return st.soa.next(st.hint(t))
	case TypeTXT:
		return st.txt.next(st.hint(t))
	case TypeSRV:
		return st.srv.next(st.hint(t))
	case TypeCAA:
		return st.rareSlabs().caa.next(st.hint(t))
	case TypeDNAME:
		return st.rareSlabs().dname.next(st.hint(t))
	case TypeSVCB:
		return st.rareSlabs().svcb_.next(st.hint(t))
	case TypeHTTPS:
		return st.rareSlabs().https_.next(st.hint(t))
	case TypeDS:
		return st.rareSlabs().ds_.next(st.hint(t))
	case TypeCDS:
		return st.rareSlabs().cds_.next(st.hint(t))
	case TypeDNSKEY:
		return st.rareSlabs().dnskey_.next(st.hint(t))
	case TypeCDNSKEY:
		return st.rareSlabs().cdnskey_.next(st.hint(t))
	case TypeRRSIG:
		return st.rareSlabs().rrsig_.next(st.hint(t))
	case TypeSIG:
		return st.rareSlabs().sig_.next(st.hint(t))
	case TypeNSEC:
		return st.rareSlabs().nsec_.next(st.hint(t))
	case TypeNSEC3:
		return st.rareSlabs().nsec3_.next(st.hint(t))
	case TypeNSEC3PARAM:
		return st.rareSlabs().nsec3param_.next(st.hint(t))
	case TypeHINFO:
		return st.rareSlabs().hinfo_.next(st.hint(t))
	case TypeNAPTR:
		return st.rareSlabs().naptr_.next(st.hint(t))
	case TypeSSHFP:
		return st.rareSlabs().sshfp_.next(st.hint(t))
	case TypeTLSA:
		return st.rareSlabs().tlsa_.next(st.hint(t))
	case TypeSMIMEA:
		return st.rareSlabs().smimea_.next(st.hint(t))
	case TypeURI:
		return st.rareSlabs().uri_.next(st.hint(t))
	case TypeZONEMD:
		return st.rareSlabs().zonemd_.next(st.hint(t))
	case TypeTSIG:
		return new(TSIG)
	case TypeTKEY:
		return new(TKEY)
	}
	u := st.unknown.next(0)
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
