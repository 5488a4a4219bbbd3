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
	a       slab[A]
	aaaa    slab[AAAA]
	ns      slab[NS]
	cname   slab[CNAME]
	ptr     slab[PTR]
	mx      slab[MX]
	soa     slab[SOA]
	txt     slab[TXT]
	srv     slab[SRV]
	caa     slab[CAA]
	unknown slab[Unknown]
	dname   slab[DNAME]
	bytes   []byte
	segs    [][]byte
	opts    []EDNSOption
	edns    EDNS
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
	// Every copied field is a distinct part of the message, so msgLen
	// bytes always suffice and copyBytes never reallocates mid-Unpack.
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
	case TypeTSIG:
		return new(TSIG)
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
	case TypeTSIG:
		return new(TSIG)
	}
	return &Unknown{T: t}
}
