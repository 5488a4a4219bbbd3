package dnswire

// CloneRData returns a deep copy of d that shares no memory with it, for
// keeping data beyond the next Unpack of the Msg it came from (a cache,
// for instance). A nil d gives nil.
func CloneRData(d RData) RData {
	switch v := d.(type) {
	case nil:
		return nil
	case *A:
		c := *v
		return &c
	case *AAAA:
		c := *v
		return &c
	case *NS:
		c := *v
		return &c
	case *CNAME:
		c := *v
		return &c
	case *PTR:
		c := *v
		return &c
	case *MX:
		c := *v
		return &c
	case *SOA:
		c := *v
		return &c
	case *SRV:
		c := *v
		return &c
	case *TXT:
		c := &TXT{Strings: make([][]byte, len(v.Strings))}
		for i, s := range v.Strings {
			c.Strings[i] = cloneBytes(s)
		}
		return c
	case *CAA:
		return &CAA{Flags: v.Flags, Tag: cloneBytes(v.Tag), Value: cloneBytes(v.Value)}
	case *Unknown:
		return &Unknown{T: v.T, Data: cloneBytes(v.Data)}
	case cloneData:
		return v.cloneRData()
	}
	return d
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// Clone returns rr with its data deep-copied (see CloneRData).
func (rr RR) Clone() RR {
	rr.Data = CloneRData(rr.Data)
	return rr
}

// Clone returns a deep copy of m that shares nothing with it, so it stays
// intact when m is reused for another Unpack.
func (m *Msg) Clone() *Msg {
	c := &Msg{Header: m.Header}
	c.Question = append([]Question(nil), m.Question...)
	for _, p := range []struct {
		dst *[]RR
		src []RR
	}{{&c.Answer, m.Answer}, {&c.Ns, m.Ns}, {&c.Extra, m.Extra}} {
		if p.src == nil {
			continue
		}
		*p.dst = make([]RR, len(p.src))
		for i := range p.src {
			(*p.dst)[i] = p.src[i].Clone()
		}
	}
	if m.EDNS != nil {
		e := *m.EDNS
		e.Options = nil
		for _, o := range m.EDNS.Options {
			e.Options = append(e.Options, EDNSOption{Code: o.Code, Data: cloneBytes(o.Data)})
		}
		c.EDNS = &e
	}
	return c
}
