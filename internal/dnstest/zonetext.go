package dnstest

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/relaykit/relaykit/dnswire"
)

// parseZone reads zone text for origin: one record per line,
//
//	owner [ttl] [IN] type rdata...
//
// with "@" for the origin, names without a trailing dot relative to it,
// a blank owner meaning the previous one, ";" comments, and the types A,
// AAAA, NS, CNAME, MX, TXT (quoted strings), SRV, PTR and SOA (on one
// line). It is a small reader for test zones, not a master-file parser:
// no $ directives, no parentheses.
func parseZone(origin dnswire.Name, text string) ([]dnswire.RR, error) {
	var out []dnswire.RR
	var prev dnswire.Name
	havePrev := false
	for lineNo, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, ';'); i >= 0 && !strings.Contains(line[:i], "\"") {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		blankOwner := line[0] == ' ' || line[0] == '\t'
		f, err := fields(line)
		if err != nil {
			return nil, fmt.Errorf("dnstest: line %d: %v", lineNo+1, err)
		}
		var owner dnswire.Name
		if blankOwner {
			if !havePrev {
				return nil, fmt.Errorf("dnstest: line %d: no owner", lineNo+1)
			}
			owner = prev
		} else {
			if owner, err = name(f[0], origin); err != nil {
				return nil, fmt.Errorf("dnstest: line %d: %v", lineNo+1, err)
			}
			f = f[1:]
		}
		prev, havePrev = owner, true
		ttl := uint32(3600)
		if len(f) > 0 {
			if n, err := strconv.ParseUint(f[0], 10, 32); err == nil {
				ttl = uint32(n)
				f = f[1:]
			}
		}
		if len(f) > 0 && strings.EqualFold(f[0], "IN") {
			f = f[1:]
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("dnstest: line %d: want type and data", lineNo+1)
		}
		t, ok := dnswire.ParseType(strings.ToUpper(f[0]))
		if !ok {
			return nil, fmt.Errorf("dnstest: line %d: unknown type %q", lineNo+1, f[0])
		}
		d, err := rdata(t, f[1:], origin)
		if err != nil {
			return nil, fmt.Errorf("dnstest: line %d: %v", lineNo+1, err)
		}
		out = append(out, dnswire.RR{
			RRHeader: dnswire.RRHeader{Name: owner, Type: t, Class: dnswire.ClassINET, TTL: ttl},
			Data:     d,
		})
	}
	return out, nil
}

// fields splits a line on blanks, keeping quoted strings (without the
// quotes) as single fields.
func fields(line string) ([]string, error) {
	var out []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, "\""+line[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' {
				j++
			}
			out = append(out, line[i:j])
			i = j
		}
	}
	return out, nil
}

func name(s string, origin dnswire.Name) (dnswire.Name, error) {
	if s == "@" {
		return origin, nil
	}
	n, err := dnswire.ParseName(s)
	if err != nil {
		return n, err
	}
	return n.Absolute(origin)
}

func rdata(t dnswire.Type, f []string, origin dnswire.Name) (dnswire.RData, error) {
	need := func(n int) error {
		if len(f) != n {
			return fmt.Errorf("%v wants %d fields, got %d", t, n, len(f))
		}
		return nil
	}
	num := func(s string) (uint32, error) {
		n, err := strconv.ParseUint(s, 10, 32)
		return uint32(n), err
	}
	switch t {
	case dnswire.TypeA, dnswire.TypeAAAA:
		if err := need(1); err != nil {
			return nil, err
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			return nil, err
		}
		if t == dnswire.TypeA {
			return &dnswire.A{Addr: a}, nil
		}
		return &dnswire.AAAA{Addr: a}, nil
	case dnswire.TypeNS, dnswire.TypeCNAME, dnswire.TypePTR:
		if err := need(1); err != nil {
			return nil, err
		}
		n, err := name(f[0], origin)
		if err != nil {
			return nil, err
		}
		switch t {
		case dnswire.TypeNS:
			return &dnswire.NS{Host: n}, nil
		case dnswire.TypeCNAME:
			return &dnswire.CNAME{Target: n}, nil
		}
		return &dnswire.PTR{Target: n}, nil
	case dnswire.TypeMX:
		if err := need(2); err != nil {
			return nil, err
		}
		p, err := num(f[0])
		if err != nil || p > 0xFFFF {
			return nil, fmt.Errorf("bad MX preference %q", f[0])
		}
		n, err := name(f[1], origin)
		if err != nil {
			return nil, err
		}
		return &dnswire.MX{Pref: uint16(p), Host: n}, nil
	case dnswire.TypeSRV:
		if err := need(4); err != nil {
			return nil, err
		}
		var v [3]uint32
		for i := range v {
			n, err := num(f[i])
			if err != nil || n > 0xFFFF {
				return nil, fmt.Errorf("bad SRV field %q", f[i])
			}
			v[i] = n
		}
		n, err := name(f[3], origin)
		if err != nil {
			return nil, err
		}
		return &dnswire.SRV{Priority: uint16(v[0]), Weight: uint16(v[1]), Port: uint16(v[2]), Target: n}, nil
	case dnswire.TypeTXT:
		var ss []string
		for _, s := range f {
			ss = append(ss, strings.TrimPrefix(s, "\""))
		}
		return dnswire.NewTXT(ss...), nil
	case dnswire.TypeSOA:
		if err := need(7); err != nil {
			return nil, err
		}
		m, err := name(f[0], origin)
		if err != nil {
			return nil, err
		}
		r, err := name(f[1], origin)
		if err != nil {
			return nil, err
		}
		var v [5]uint32
		for i := range v {
			if v[i], err = num(f[2+i]); err != nil {
				return nil, err
			}
		}
		return &dnswire.SOA{MName: m, RName: r, Serial: v[0], Refresh: v[1], Retry: v[2], Expire: v[3], Minimum: v[4]}, nil
	}
	return nil, fmt.Errorf("type %v not supported by the test zone reader", t)
}
