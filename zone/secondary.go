package zone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Secondary describes a zone the server copies from a primary (RFC 1034
// 4.3.5): it is fetched by AXFR (RFC 5936), then kept current by IXFR
// (RFC 1995, falling back to AXFR) when the SOA's refresh timer runs out
// or the primary sends a NOTIFY (RFC 1996).
type Secondary struct {
	// Origin is the zone's apex.
	Origin dnswire.Name
	// Primary is the primary's address; transfers use TCP there, SOA
	// checks UDP. NOTIFY for the zone is accepted from its address (or,
	// with Key set, signed with Key from anywhere).
	Primary netip.AddrPort
	// Key, when set, signs every SOA check and transfer request (RFC
	// 8945); responses must be signed with it too.
	Key *dnswire.TSIGKey
	// Timeout bounds one SOA check or transfer (default 30 s).
	Timeout time.Duration
	// OnRefresh, when set, is called after every check of the primary
	// with the zone now served (nil before the first transfer and after
	// it expired) and the check's error. It runs on the zone's refresh goroutine and must
	// not block (Close waits for that goroutine).
	OnRefresh func(z *Zone, err error)
	// Catalog marks the zone as a catalog zone (RFC 9432): after each
	// transfer, every member zone it lists is followed as a Secondary
	// with the same Primary, Key, Timeout and OnRefresh, members
	// dropped from it are no longer followed or served, and a member
	// whose unique ID changes is transferred afresh (RFC 9432 5.6).
	Catalog bool
}

// Secondary errors.
var (
	ErrTransfer  = Error("zone: bad zone transfer")
	ErrUnsigned  = Error("zone: transfer response not signed with the key")
	ErrNoPrimary = Error("zone: no secondary for that zone")
	ErrFollowed  = Error("zone: zone already followed")
)

// follower runs one Secondary.
type follower struct {
	cfg    Secondary
	kick   chan struct{} // a NOTIFY or Refresh: check the SOA now
	ctx    context.Context
	cancel context.CancelFunc // RemoveSecondary
	exited chan struct{}
	// For a catalog: its members by origin (lower case), with their
	// unique IDs.
	members map[dnswire.Name]dnswire.Name
}

// AddSecondary starts following a zone from its primary, in the
// background until Shutdown or Close: a first transfer at once, then an
// SOA check every refresh interval (every retry interval after a
// failure), with IXFR for newer serials. The zone is served once the
// first transfer succeeds, and dropped when the expire interval passes
// without a successful check (RFC 1034 4.3.5). Changes are passed on to
// Notify.
func (s *Server) AddSecondary(sec Secondary) error {
	if !sec.Origin.IsAbsolute() || !sec.Primary.IsValid() {
		return fmt.Errorf("zone: secondary %s: origin and primary needed", sec.Origin)
	}
	f := &follower{cfg: sec, kick: make(chan struct{}, 1), exited: make(chan struct{})}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.followers == nil {
		s.followers = make(map[dnswire.Name]*follower)
	}
	if s.followers[sec.Origin.Lower()] != nil {
		s.mu.Unlock()
		return fmt.Errorf("zone: secondary %s: %w", sec.Origin, ErrFollowed)
	}
	s.followers[sec.Origin.Lower()] = f
	s.wg.Add(1)
	done := s.done
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer close(f.exited)
		s.follow(f, done)
	}()
	return nil
}

// RemoveSecondary stops following the zone at origin and stops serving
// it (for a catalog, its members too). It returns when the zone's
// refresh goroutine has ended.
func (s *Server) RemoveSecondary(origin dnswire.Name) error {
	s.mu.Lock()
	f := s.followers[origin.Lower()]
	if f != nil {
		delete(s.followers, origin.Lower())
	}
	s.mu.Unlock()
	if f == nil {
		return ErrNoPrimary
	}
	f.cancel()
	<-f.exited
	s.RemoveZone(origin)
	for m := range f.members {
		s.RemoveSecondary(m)
	}
	return nil
}

// isSecondary tells whether origin is followed from a primary.
func (s *Server) isSecondary(origin dnswire.Name) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.followers[origin.Lower()] != nil
}

// Refresh makes the secondary for origin check its primary's SOA now, as
// a NOTIFY does.
func (s *Server) Refresh(origin dnswire.Name) error {
	s.mu.Lock()
	f := s.followers[origin.Lower()]
	s.mu.Unlock()
	if f == nil {
		return ErrNoPrimary
	}
	select {
	case f.kick <- struct{}{}:
	default: // a check is already due
	}
	return nil
}

// follow is the refresh loop of one secondary zone.
func (s *Server) follow(f *follower, done <-chan struct{}) {
	var lastOK time.Time
	for {
		wait, err := s.refresh(f)
		if f.ctx.Err() != nil {
			return // RemoveSecondary
		}
		if err == nil {
			lastOK = s.now()
		} else {
			s.logDebug("zone: secondary refresh", "zone", f.cfg.Origin, "err", err)
		}
		if z := s.Zone(f.cfg.Origin); z != nil {
			soa := z.soa.Data.(*dnswire.SOA)
			if err != nil {
				wait = time.Duration(soa.Retry) * time.Second
			}
			// RFC 1034 4.3.5: after EXPIRE without a refresh the zone is
			// no longer authoritative.
			if !lastOK.IsZero() && s.now().Sub(lastOK) >= time.Duration(soa.Expire)*time.Second {
				s.logDebug("zone: secondary expired", "zone", f.cfg.Origin)
				s.RemoveZone(f.cfg.Origin)
			}
		}
		if f.cfg.OnRefresh != nil {
			f.cfg.OnRefresh(s.Zone(f.cfg.Origin), err)
		}
		if wait <= 0 {
			wait = time.Minute // no zone yet: try again (RFC 1996 does the rest)
		}
		t := time.NewTimer(wait)
		select {
		case <-done:
			t.Stop()
			return
		case <-f.ctx.Done():
			t.Stop()
			return
		case <-f.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// refresh checks the primary's serial and transfers the zone when it is
// newer; it returns the refresh interval of the zone now served.
func (s *Server) refresh(f *follower) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.timeout())
	defer cancel()
	old := s.Zone(f.cfg.Origin)
	if old != nil {
		serial, err := s.primarySerial(ctx, f)
		if err != nil {
			return 0, err
		}
		if !serialGreater(serial, old.Serial()) {
			return refreshOf(old), nil
		}
	}
	nz, by, err := s.pull(ctx, f, old)
	if err != nil {
		return 0, err
	}
	if old == nil || serialGreater(nz.Serial(), old.Serial()) {
		if f.ctx.Err() != nil {
			return 0, f.ctx.Err() // removed meanwhile: do not serve it again
		}
		if old != nil {
			s.recordHistory(diffZones(old, nz))
		}
		s.swapZone(nz)
		if f.cfg.Catalog {
			s.syncCatalog(f, nz)
		}
		s.logDebug("zone: secondary updated", "zone", nz.origin, "serial", nz.Serial(), "by", by)
		s.notifyAll(nz)
	}
	return refreshOf(nz), nil
}

// recordHistory keeps a secondary zone's change, so that the zone is
// served onward by IXFR (RFC 1995 4) to secondaries of this server: one
// difference sequence per transfer, however many the primary sent.
func (s *Server) recordHistory(ch *change) {
	s.umu.Lock()
	defer s.umu.Unlock()
	k := ch.newSOA.Name.Lower()
	j := s.journals[k]
	if j == nil {
		j = &journal{}
		if s.journals == nil {
			s.journals = make(map[dnswire.Name]*journal)
		}
		s.journals[k] = j
	}
	j.history = append(j.history, ch)
	if len(j.history) > 1000 {
		j.history = j.history[len(j.history)-1000:]
	}
}

func refreshOf(z *Zone) time.Duration {
	return time.Duration(z.soa.Data.(*dnswire.SOA).Refresh) * time.Second
}

func (c *Secondary) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 30 * time.Second
}

// request builds a query for the zone's apex, signed when a key is set,
// and returns it with its MAC.
func (s *Server) request(f *follower, t dnswire.Type, ns []dnswire.RR) ([]byte, uint16, []byte, error) {
	var m dnswire.Msg
	m.ID = uint16(s.now().UnixNano()>>10) ^ uint16(len(f.cfg.Origin.String()))
	m.Question = []dnswire.Question{{Name: f.cfg.Origin, Type: t, Class: dnswire.ClassINET}}
	m.Ns = ns
	wire, err := m.Pack()
	if err != nil || f.cfg.Key == nil {
		return wire, m.ID, nil, err
	}
	signed, mac, err := dnswire.SignTSIG(wire, dnswire.TSIGSign{Key: f.cfg.Key, Time: s.now()})
	return signed, m.ID, mac, err
}

// verify checks a response's TSIG when the request was signed and
// returns the message without it and the response's MAC.
func (s *Server) verify(f *follower, msg, requestMAC, priorMAC []byte) ([]byte, []byte, error) {
	if f.cfg.Key == nil {
		return msg, nil, nil
	}
	res, err := dnswire.VerifyTSIG(msg, dnswire.TSIGVerify{
		Keys:       func(n dnswire.Name) *dnswire.TSIGKey { return keyIf(f.cfg.Key, n) },
		Now:        s.now(),
		RequestMAC: requestMAC,
		PriorMAC:   priorMAC,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrUnsigned, err)
	}
	return res.Unsigned, res.Record.MAC, nil
}

func keyIf(k *dnswire.TSIGKey, n dnswire.Name) *dnswire.TSIGKey {
	if k.Name.Equal(n) {
		return k
	}
	return nil
}

// primarySerial asks the primary for the zone's SOA over UDP (RFC 1034
// 4.3.5), retrying over TCP when the answer is truncated.
func (s *Server) primarySerial(ctx context.Context, f *follower) (uint32, error) {
	req, id, mac, err := s.request(f, dnswire.TypeSOA, nil)
	if err != nil {
		return 0, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", f.cfg.Primary.String())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	buf := make([]byte, 65535)
	for try := 0; try < 3; try++ {
		if _, err := c.Write(req); err != nil {
			return 0, err
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			msg, _, err := s.verify(f, buf[:n], mac, nil)
			if err != nil {
				return 0, err
			}
			var m dnswire.Msg
			if err := m.Unpack(msg); err != nil || !m.Response || m.ID != id {
				continue
			}
			if m.RCode != dnswire.RCodeSuccess || !m.Authoritative {
				return 0, fmt.Errorf("%w: SOA query answered %s", ErrTransfer, m.RCode)
			}
			for _, rr := range m.Answer {
				if soa, ok := rr.Data.(*dnswire.SOA); ok && rr.Name.Equal(f.cfg.Origin) {
					return soa.Serial, nil
				}
			}
			return 0, fmt.Errorf("%w: no SOA in the answer", ErrTransfer)
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	return 0, fmt.Errorf("%w: no answer to the SOA query", ErrTransfer)
}

// pull transfers the zone: IXFR from old's serial when there is an old
// copy (RFC 1995 4), else AXFR (RFC 5936).
func (s *Server) pull(ctx context.Context, f *follower, old *Zone) (*Zone, string, error) {
	z, incremental, err := s.pull1(ctx, f, old)
	by := "AXFR"
	if incremental {
		by = "IXFR"
	}
	return z, by, err
}

// pull1 is pull; it also says whether the zone came in difference
// sequences.
func (s *Server) pull1(ctx context.Context, f *follower, old *Zone) (*Zone, bool, error) {
	t, ns := dnswire.TypeAXFR, []dnswire.RR(nil)
	if old != nil {
		t, ns = typeIXFR, []dnswire.RR{old.soa}
	}
	req, id, mac, err := s.request(f, t, ns)
	if err != nil {
		return nil, false, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", f.cfg.Primary.String())
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if err := dnswire.WriteTCP(c, req); err != nil {
		return nil, false, err
	}
	x := xfrReader{origin: f.cfg.Origin, old: old}
	var buf []byte
	prior := []byte(nil)
	for first := true; !x.done; first = false {
		msg, err := dnswire.ReadTCP(c, buf[:0])
		if err != nil {
			return nil, false, fmt.Errorf("%w: %w", ErrTransfer, err)
		}
		buf = msg
		if first {
			msg, prior, err = s.verify(f, msg, mac, nil)
		} else {
			// RFC 8945 5.3.1: each later message is signed over the
			// previous MAC. (Unsigned messages in between, which the RFC
			// allows, are refused here.)
			msg, prior, err = s.verify(f, msg, nil, prior)
		}
		if err != nil {
			return nil, false, err
		}
		var m dnswire.Msg
		if err := m.Unpack(msg); err != nil && !errors.Is(err, dnswire.ErrTrailingBytes) {
			return nil, false, fmt.Errorf("%w: %w", ErrTransfer, err)
		}
		if !m.Response || m.ID != id {
			return nil, false, fmt.Errorf("%w: unexpected message", ErrTransfer)
		}
		if m.RCode != dnswire.RCodeSuccess {
			return nil, false, fmt.Errorf("%w: answered %s", ErrTransfer, m.RCode)
		}
		if err := x.feed(m.Answer); err != nil {
			return nil, false, err
		}
		if !x.done && first && t == typeIXFR && x.n == 1 {
			// RFC 1995 4: a lone SOA means we are current (or, when its
			// serial is newer, that the server wants an AXFR).
			if !serialGreater(x.serial, old.Serial()) {
				return old, false, nil
			}
			return s.pull1(ctx, f, nil)
		}
	}
	z, err := x.result()
	return z, x.incremental, err
}

// xfrReader reads the records of an AXFR or IXFR response in order.
type xfrReader struct {
	origin dnswire.Name
	old    *Zone
	n      int // records seen
	serial uint32
	done   bool

	incremental bool
	adding      bool
	all         []dnswire.RR // AXFR form
	z           *Zone        // incremental: the zone being changed
}

// feed takes the next records of the response.
func (x *xfrReader) feed(rrs []dnswire.RR) error {
	for _, rr := range rrs {
		if x.done {
			return fmt.Errorf("%w: records after the closing SOA", ErrTransfer)
		}
		x.n++
		soa, isSOA := rr.Data.(*dnswire.SOA)
		if isSOA && !rr.Name.Equal(x.origin) {
			return fmt.Errorf("%w: SOA of another zone", ErrTransfer)
		}
		switch {
		case x.n == 1:
			// RFC 5936 2.2, RFC 1995 4: the first record is the new SOA.
			if !isSOA {
				return fmt.Errorf("%w: does not start with the SOA", ErrTransfer)
			}
			x.serial = soa.Serial
			x.all = append(x.all, rr)
		case x.n == 2 && isSOA && x.old != nil && soa.Serial == x.old.Serial() && x.serial != soa.Serial:
			// RFC 1995 4: the old SOA second means difference sequences.
			x.incremental = true
			x.z = x.old.clone()
			x.z.removeSet(x.origin, dnswire.TypeSOA)
		case x.incremental:
			if err := x.diff(rr, isSOA, soa); err != nil {
				return err
			}
		case isSOA:
			// RFC 5936 2.2: the SOA again closes an AXFR.
			if soa.Serial != x.serial {
				return fmt.Errorf("%w: closing SOA has another serial", ErrTransfer)
			}
			x.done = true
		default:
			x.all = append(x.all, rr)
		}
	}
	return nil
}

// diff applies one record of an IXFR's difference sequences: deletions
// after each old SOA, additions after each new one, and the final SOA.
func (x *xfrReader) diff(rr dnswire.RR, isSOA bool, soa *dnswire.SOA) error {
	if !isSOA {
		if x.adding {
			x.z.add(rr)
		} else if !x.z.remove(rr) {
			return fmt.Errorf("%w: IXFR deletes %s, which we lack", ErrTransfer, rr.String())
		}
		return nil
	}
	if x.adding && soa.Serial == x.serial {
		x.done = true
		return nil
	}
	x.adding = !x.adding
	return nil
}

// result is the transferred zone, validated.
func (x *xfrReader) result() (*Zone, error) {
	if x.incremental {
		x.z.add(x.all[0])
		x.z.soa = x.all[0]
		if err := x.z.finish(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTransfer, err)
		}
		return x.z, nil
	}
	z, err := New(x.origin, x.all)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransfer, err)
	}
	return z, nil
}
