package zone

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/relaykit/relaykit/dnswire"
)

// Error is the type of the package's sentinel errors; compare with
// errors.Is.
type Error string

func (e Error) Error() string { return string(e) }

// Sentinel errors for zone data that fails validation.
const (
	// ErrNoSOA: the apex has no SOA record (RFC 1035 5.2).
	ErrNoSOA Error = "zone: no SOA record at the apex"
	// ErrManySOA: more than one SOA, or an SOA below the apex.
	ErrManySOA Error = "zone: SOA record not alone at the apex"
	// ErrNoNS: the apex has no NS record (RFC 1035 5.2).
	ErrNoNS Error = "zone: no NS record at the apex"
	// ErrOutOfZone: a record's owner is not at or below the origin.
	ErrOutOfZone Error = "zone: record outside the zone"
	// ErrCNAMEAndOther: a CNAME shares its name with other data, or two
	// CNAMEs share a name (RFC 1034 3.6.2, RFC 2181 10.1).
	ErrCNAMEAndOther Error = "zone: CNAME and other data at one name"
	// ErrBelowDelegation: data other than glue below a zone cut
	// (RFC 1034 4.2.1).
	ErrBelowDelegation Error = "zone: data below a delegation"
	// ErrMissingGlue: an NS names a host inside the zone that has no
	// address record: in-domain glue (RFC 9471 2.1) or an authoritative
	// name of the zone. Sibling glue, for a host under another of the
	// zone's delegations, is optional (RFC 9471 2.2).
	ErrMissingGlue Error = "zone: in-zone name server without address"
	// ErrClass: a record of a class other than IN.
	ErrClass Error = "zone: record class is not IN"
	// ErrDNAME: a DNAME with data below it, or two DNAMEs at one name
	// (RFC 6672 2.4).
	ErrDNAME Error = "zone: data below a DNAME"
)

// RecordError says which record broke which rule.
type RecordError struct {
	RR  dnswire.RR
	Err error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("%v: %s", e.Err, e.RR.String())
}

// Unwrap returns the rule broken.
func (e *RecordError) Unwrap() error { return e.Err }

// rrset is the records of one name and type, with their uncompressed wire
// size precomputed (owner excluded) so an answer can tell whether a whole
// set fits before writing any of it.
type rrset struct {
	typ  dnswire.Type
	rrs  []dnswire.RR
	wire int          // sum over rrs of 10 + RDLENGTH
	cov  dnswire.Type // for the RRSIGs of one covered type (node.sigs)
}

type node struct {
	name dnswire.Name
	sets []rrset
	sigs []rrset // the RRSIGs of sets[RRSIG] by type covered (indexDNSSEC)
}

func (n *node) get(t dnswire.Type) *rrset {
	for i := range n.sets {
		if n.sets[i].typ == t {
			return &n.sets[i]
		}
	}
	return nil
}

// Zone is one zone's data: validated, indexed by lower-cased name. A Zone
// is read-only once made; UPDATE makes a new one.
type Zone struct {
	origin dnswire.Name // as written in the SOA owner
	soa    dnswire.RR
	nodes  map[string]*node // key: nodeKey (lower-cased wire name); empty non-terminals included
	count  int
	minTTL uint32 // negative-answer TTL: min(SOA TTL, MINIMUM) (RFC 2308 5)
	// dirty: records were removed since the last finish, so empty
	// nodes may need pruning (adding never leaves an empty leaf).
	dirty bool

	// DNSSEC (indexDNSSEC): whether the zone holds RRSIGs, its NSEC
	// owners in canonical order, its NSEC3 owners by hash, and the
	// apex NSEC3PARAM.
	signed bool
	nsec   []*node
	nsec3  []nsec3Entry
	n3     *dnswire.NSEC3PARAM
}

// LoadConfig configures Parse.
type LoadConfig struct {
	// TTL is the default TTL when the text has no $TTL. Zero means
	// the text must give one.
	TTL uint32
	// File names the input in errors.
	File string
	// IncludeFS, when set, lets $INCLUDE read files from it (and only
	// from it). Nil refuses $INCLUDE.
	IncludeFS fs.FS
}

// Parse reads a zone in master-file form (RFC 1035 5) with origin as
// the initial $ORIGIN, then validates it as New does.
func Parse(r io.Reader, origin dnswire.Name, cfg LoadConfig) (*Zone, error) {
	z, err := newZone(origin)
	if err != nil {
		return nil, err
	}
	// Records are added as they are read (the reader's records are not
	// shared, so not copied): no slice of the whole zone is built.
	zr := dnswire.NewZoneReader(r, dnswire.ZoneConfig{Origin: origin, TTL: cfg.TTL, File: cfg.File, IncludeFS: cfg.IncludeFS})
	for {
		rr, err := zr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("zone: %s: %w", origin, err)
		}
		if err := z.addChecked(rr); err != nil {
			return nil, err
		}
	}
	if err := z.finish(); err != nil {
		return nil, err
	}
	return z, nil
}

// New builds a zone from records and checks it the way NSD and Knot do:
// exactly one SOA, at the apex; NS at the apex; every owner inside the
// zone; class IN; a CNAME alone at its name and not at the apex; below a
// zone cut only address records (glue); nothing below a DNAME; an
// address for every name server that lies inside the zone. Identical
// records are kept once (RFC 2181 5). The records' TTLs within one RRset
// are set to the lowest of them (RFC 2181 5.2). The records are copied.
func New(origin dnswire.Name, rrs []dnswire.RR) (*Zone, error) {
	z, err := newZone(origin)
	if err != nil {
		return nil, err
	}
	for i := range rrs {
		if err := z.addChecked(rrs[i].Clone()); err != nil {
			return nil, err
		}
	}
	if err := z.finish(); err != nil {
		return nil, err
	}
	return z, nil
}

func newZone(origin dnswire.Name) (*Zone, error) {
	if !origin.IsAbsolute() {
		return nil, fmt.Errorf("zone: origin %s: %w", origin, dnswire.ErrRelativeName)
	}
	return &Zone{origin: origin, nodes: make(map[string]*node)}, nil
}

// addChecked adds rr after the checks one record can be given alone.
func (z *Zone) addChecked(rr dnswire.RR) error {
	if !rr.Name.IsSubdomainOf(z.origin) {
		return &RecordError{rr, ErrOutOfZone}
	}
	if rr.Class != dnswire.ClassINET {
		return &RecordError{rr, ErrClass}
	}
	if rr.Data == nil || rr.Data.Type() != rr.Type && rr.Type != dnswire.TypeOPT {
		return &RecordError{rr, dnswire.ErrWrongType}
	}
	if rr.Type == dnswire.TypeOPT {
		return &RecordError{rr, dnswire.ErrBadOPT}
	}
	z.add(rr)
	return nil
}

// nodeKey is the key of name in Zone.nodes: its wire form in lower
// case (a short string instead of the 256-octet Name array keeps a big
// zone's index small).
func nodeKey(name dnswire.Name) string {
	var buf [dnswire.MaxNameLen]byte
	return string(name.Lower().AppendWire(buf[:0]))
}

// node returns the node of name, or nil (without allocating).
func (z *Zone) node(name dnswire.Name) *node {
	var buf [dnswire.MaxNameLen]byte
	return z.nodes[string(name.Lower().AppendWire(buf[:0]))]
}

// add inserts rr, creating empty non-terminals between it and the apex
// (RFC 4592 2.2.2: they exist for wildcard matching).
func (z *Zone) add(rr dnswire.RR) bool {
	n := z.node(rr.Name)
	if n == nil {
		n = &node{name: rr.Name}
		z.nodes[nodeKey(rr.Name)] = n
		for p, ok := rr.Name.Parent(); ok && p.IsSubdomainOf(z.origin); p, ok = p.Parent() {
			if z.node(p) != nil {
				break
			}
			z.nodes[nodeKey(p)] = &node{name: p}
		}
	}
	s := n.get(rr.Type)
	if s == nil {
		n.sets = append(n.sets, rrset{typ: rr.Type})
		s = &n.sets[len(n.sets)-1]
	}
	for _, o := range s.rrs {
		if sameRData(o.Data, rr.Data) {
			return false
		}
	}
	s.rrs = append(s.rrs, rr)
	s.wire += 10 + rdataLen(rr)
	z.count++
	return true
}

// finish prunes empty leaves, normalises TTLs and validates.
func (z *Zone) finish() error {
	if z.dirty {
		z.prune()
		z.dirty = false
	}
	apex := z.node(z.origin)
	if apex == nil {
		return fmt.Errorf("zone: %s: %w", z.origin, ErrNoSOA)
	}
	soa := apex.get(dnswire.TypeSOA)
	if soa == nil {
		return fmt.Errorf("zone: %s: %w", z.origin, ErrNoSOA)
	}
	if len(soa.rrs) != 1 {
		return &RecordError{soa.rrs[1], ErrManySOA}
	}
	if apex.get(dnswire.TypeNS) == nil {
		return fmt.Errorf("zone: %s: %w", z.origin, ErrNoNS)
	}
	z.soa = soa.rrs[0]
	z.minTTL = min(z.soa.TTL, z.soa.Data.(*dnswire.SOA).Minimum)
	z.resetDNSSEC()
	for _, n := range z.nodes {
		for i := range n.sets {
			s := &n.sets[i]
			if s.typ == dnswire.TypeRRSIG {
				// RFC 4034 3: each RRSIG has the TTL of the RRset it
				// covers; the RRSIGs at one name are not one RRset's.
				continue
			}
			if len(s.rrs) == 1 {
				continue
			}
			ttl, same := s.rrs[0].TTL, true
			for _, rr := range s.rrs[1:] {
				same = same && rr.TTL == ttl
				ttl = min(ttl, rr.TTL)
			}
			if !same {
				for j := range s.rrs {
					s.rrs[j].TTL = ttl
				}
			}
		}
		if err := z.checkNode(n); err != nil {
			return err
		}
		z.indexNode(n)
	}
	z.sortDNSSEC()
	return nil
}

// prune removes nodes that hold no data and have no descendants.
func (z *Zone) prune() {
	for {
		hasChild := make(map[string]bool, len(z.nodes))
		for _, n := range z.nodes {
			if p, ok := n.name.Parent(); ok {
				hasChild[nodeKey(p)] = true
			}
		}
		removed := false
		for k, n := range z.nodes {
			if len(n.sets) == 0 && !hasChild[k] && !n.name.Equal(z.origin) {
				delete(z.nodes, k)
				removed = true
			}
		}
		if !removed {
			return
		}
	}
}

func (z *Zone) checkNode(n *node) error {
	apex := n.name.Equal(z.origin)
	if len(n.sets) == 0 {
		return nil
	}
	if !apex {
		if s := n.get(dnswire.TypeSOA); s != nil {
			return &RecordError{s.rrs[0], ErrManySOA}
		}
	}
	if s := n.get(dnswire.TypeCNAME); s != nil {
		// RFC 1034 3.6.2: no other data at an alias; RFC 4035 2.5 lets
		// RRSIG and NSEC sit beside it.
		if apex || len(s.rrs) > 1 {
			return &RecordError{s.rrs[len(s.rrs)-1], ErrCNAMEAndOther}
		}
		for _, o := range n.sets {
			if o.typ != dnswire.TypeCNAME && o.typ != dnswire.TypeRRSIG && o.typ != dnswire.TypeNSEC {
				return &RecordError{o.rrs[0], ErrCNAMEAndOther}
			}
		}
	}
	if s := n.get(dnswire.TypeDNAME); s != nil && len(s.rrs) > 1 {
		return &RecordError{s.rrs[1], ErrDNAME}
	}
	// Walk the ancestors between n and the apex: a zone cut or a DNAME
	// above n occludes n's data, except glue below a cut.
	for p, ok := n.name.Parent(); ok && !p.Equal(z.origin) && p.IsSubdomainOf(z.origin); p, ok = p.Parent() {
		pn := z.node(p)
		if pn == nil {
			continue
		}
		if pn.get(dnswire.TypeDNAME) != nil {
			return &RecordError{n.sets[0].rrs[0], ErrDNAME}
		}
		if pn.get(dnswire.TypeNS) != nil {
			for _, o := range n.sets {
				if o.typ != dnswire.TypeA && o.typ != dnswire.TypeAAAA {
					return &RecordError{o.rrs[0], ErrBelowDelegation}
				}
			}
		}
	}
	if ns := n.get(dnswire.TypeNS); ns != nil {
		if !apex {
			// RFC 1034 4.2.1: at a cut, only NS (and DS, NSEC, RRSIG of
			// the parent side) belong to the parent; other data there is
			// occluded. Address records at the cut name are glue.
			for _, o := range n.sets {
				switch o.typ {
				case dnswire.TypeNS, dnswire.TypeDS, dnswire.TypeNSEC, dnswire.TypeRRSIG, dnswire.TypeA, dnswire.TypeAAAA:
				default:
					return &RecordError{o.rrs[0], ErrBelowDelegation}
				}
			}
		}
		for _, rr := range ns.rrs {
			host := rr.Data.(*dnswire.NS).Host
			if !host.IsSubdomainOf(z.origin) {
				continue
			}
			// RFC 9471 2.2: glue for a name server under another
			// delegation of this zone (sibling glue) is optional;
			// in-domain glue (2.1) and the addresses of this zone's
			// own authoritative names are not.
			if !apex && !host.IsSubdomainOf(n.name) && z.belowCut(host) {
				continue
			}
			hn := z.node(host)
			if hn == nil || hn.get(dnswire.TypeA) == nil && hn.get(dnswire.TypeAAAA) == nil {
				return &RecordError{rr, ErrMissingGlue}
			}
		}
	}
	return nil
}

// belowCut reports whether name is at or below a delegation of z (a node
// other than the apex holding NS).
func (z *Zone) belowCut(name dnswire.Name) bool {
	for p, ok := name, true; ok && !p.Equal(z.origin) && p.IsSubdomainOf(z.origin); p, ok = p.Parent() {
		if pn := z.node(p); pn != nil && pn.get(dnswire.TypeNS) != nil {
			return true
		}
	}
	return false
}

// Origin returns the zone's apex name.
func (z *Zone) Origin() dnswire.Name { return z.origin }

// SOA returns the zone's SOA record.
func (z *Zone) SOA() dnswire.RR { return z.soa }

// Serial returns the SOA serial.
func (z *Zone) Serial() uint32 { return z.soa.Data.(*dnswire.SOA).Serial }

// Len returns the number of records.
func (z *Zone) Len() int { return z.count }

// Records returns every record in canonical order (RFC 4034 6.1: names
// ordered, the SOA first), each RRset's records together by type. The
// records share data with the zone and must not be changed.
func (z *Zone) Records() []dnswire.RR {
	nodes := make([]*node, 0, len(z.nodes))
	for _, n := range z.nodes {
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, func(a, b *node) int { return a.name.Compare(b.name) })
	out := make([]dnswire.RR, 0, z.count)
	out = append(out, z.soa)
	for _, n := range nodes {
		sets := slices.Clone(n.sets)
		slices.SortFunc(sets, func(a, b rrset) int { return int(a.typ) - int(b.typ) })
		for _, s := range sets {
			if s.typ == dnswire.TypeSOA {
				continue
			}
			out = append(out, s.rrs...)
		}
	}
	return out
}

// WriteTo writes the zone as a master file: a $ORIGIN line, then every
// record with absolute names in canonical order. Parse reads it back into
// an equal zone.
func (z *Zone) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	var total int64
	line := make([]byte, 0, 256)
	line = append(line, "$ORIGIN "...)
	line = z.origin.AppendText(line)
	line = append(line, '\n')
	for _, rr := range z.Records() {
		n, err := bw.Write(line)
		total += int64(n)
		if err != nil {
			return total, err
		}
		line = rr.AppendText(line[:0])
		line = append(line, '\n')
	}
	n, err := bw.Write(line)
	total += int64(n)
	if err != nil {
		return total, err
	}
	return total, bw.Flush()
}

// sameRData compares two records' data in canonical wire form, names in
// it compared without regard to case (RFC 4034 6.2 lowers them).
func sameRData(a, b dnswire.RData) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.Type() != b.Type() {
		return false
	}
	var ba, bb [512]byte
	wa := canonicalRData(ba[:0], a)
	wb := canonicalRData(bb[:0], b)
	return string(wa) == string(wb)
}

// canonicalRData appends rdata's wire form with names lower-cased.
func canonicalRData(dst []byte, d dnswire.RData) []byte {
	rr := dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.Root(), Type: d.Type(), Class: dnswire.ClassINET}, Data: d}
	switch v := d.(type) {
	case *dnswire.NS:
		c := *v
		c.Host = c.Host.Lower()
		rr.Data = &c
	case *dnswire.CNAME:
		c := *v
		c.Target = c.Target.Lower()
		rr.Data = &c
	case *dnswire.PTR:
		c := *v
		c.Target = c.Target.Lower()
		rr.Data = &c
	case *dnswire.DNAME:
		c := *v
		c.Target = c.Target.Lower()
		rr.Data = &c
	case *dnswire.MX:
		c := *v
		c.Host = c.Host.Lower()
		rr.Data = &c
	case *dnswire.SRV:
		c := *v
		c.Target = c.Target.Lower()
		rr.Data = &c
	case *dnswire.SOA:
		c := *v
		c.MName, c.RName = c.MName.Lower(), c.RName.Lower()
		rr.Data = &c
	}
	return appendRData(dst, &rr)
}

// appendRData appends rr's uncompressed RDATA.
func appendRData(dst []byte, rr *dnswire.RR) []byte {
	var b dnswire.Builder
	start := len(dst)
	b.Start(dst, dnswire.Header{}, dnswire.BuildOptions{})
	if err := b.Answer(rr); err != nil {
		return dst
	}
	out, err := b.Finish()
	if err != nil {
		return dst
	}
	// Header (12) + owner (uncompressed) + type, class, TTL, RDLENGTH
	// (10).
	rd := out[start+dnswire.HeaderLen+rr.Name.Len()+10:]
	return append(out[:start], rd...)
}

// rdataLen is the uncompressed RDLENGTH of rr.
func rdataLen(rr dnswire.RR) int {
	// The common types without building the record.
	switch d := rr.Data.(type) {
	case *dnswire.A:
		return 4
	case *dnswire.AAAA:
		return 16
	case *dnswire.NS:
		return d.Host.Len()
	case *dnswire.CNAME:
		return d.Target.Len()
	case *dnswire.PTR:
		return d.Target.Len()
	case *dnswire.MX:
		return 2 + d.Host.Len()
	}
	var buf [512]byte
	return len(appendRData(buf[:0], &rr))
}
