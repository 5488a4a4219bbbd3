package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// serveLab answers UDP queries on 127.0.0.1 from a labAuth, as the lab's
// authoritative servers would, and records whether queries had DO and CD.
func serveLab(t *testing.T, a *labAuth) (netip.AddrPort, *atomic.Bool) {
	t.Helper()
	addr, flags, stop := startLab(t, a)
	t.Cleanup(stop)
	return addr, flags
}

// startLab is serveLab with the stop function returned to the caller.
func startLab(t testing.TB, a *labAuth) (netip.AddrPort, *atomic.Bool, func()) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	flags := new(atomic.Bool)
	flags.Store(true)
	done := make(chan struct{})
	stop := func() {
		pc.Close()
		<-done
	}
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnswire.Msg
			if q.Unpack(buf[:n]) != nil || len(q.Question) != 1 {
				continue
			}
			if q.EDNS == nil || !q.EDNS.DO || !q.CheckingDisabled {
				flags.Store(false)
			}
			m, _ := a.query(context.Background(), q.Question[0].Name, q.Question[0].Type)
			m.ID, m.Question = q.ID, q.Question
			m.EDNS = &dnswire.EDNS{UDPSize: 4096, DO: true}
			out, err := m.Pack()
			if err != nil {
				continue
			}
			pc.WriteTo(out, from)
		}
	}()
	return netip.MustParseAddrPort(pc.LocalAddr().String()), flags, stop
}

func TestValidatorResolveOverUDP(t *testing.T) {
	a := newLabAuth(t)
	addr, flags := serveLab(t, a)
	v := &Validator{Anchors: labAnchor(t), Query: UpstreamQuery(nil, time.Second, addr), Now: at2030}
	ctx := context.Background()
	ans, err := v.Resolve(ctx, dnswire.MustName("_25._tcp.mx.sec.lab."), dnswire.TypeTLSA)
	if err != nil || ans.Security != Secure || len(ans.Records) != 1 {
		t.Fatalf("%+v, %v", ans, err)
	}
	rrs, secure, err := v.ResolveValidated(ctx, dnswire.MustName("www.insec.lab."), dnswire.TypeA)
	if err != nil || secure || len(rrs) != 1 {
		t.Fatalf("insecure: %v %v %v", rrs, secure, err)
	}
	rrs, secure, err = v.ResolveValidated(ctx, dnswire.MustName("nope.sec.lab."), dnswire.TypeTLSA)
	if err != nil || !secure || len(rrs) != 0 {
		t.Fatalf("nxdomain: %v %v %v", rrs, secure, err)
	}
	// A forged answer: validation refuses it with a typed error.
	a.mu.Lock()
	defer a.mu.Unlock()
	a.edit = func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
		if ty == dnswire.TypeA && len(m.Answer) > 0 {
			m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
		}
	}
	a.mu.Unlock()
	ans, err = v.Resolve(ctx, dnswire.MustName("mx.sec.lab."), dnswire.TypeA)
	a.mu.Lock()
	var be *BogusError
	if ans.Security != Bogus || len(ans.Records) != 0 || !errors.As(err, &be) || be.EDE != EDEDNSSECBogus {
		t.Fatalf("forged: %+v, %v", ans, err)
	}
	if !flags.Load() {
		t.Fatal("a query went out without DO and CD")
	}
}
