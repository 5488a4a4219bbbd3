package zone

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

func startServer(t *testing.T, s *Server) {
	t.Helper()
	if err := s.ListenAndServe("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if !s.Addr().IsValid() || s.Addr().Port() == 0 {
		t.Fatalf("bound address %v", s.Addr())
	}
}

func TestServeUDPAndTCP(t *testing.T) {
	s := testServer(t)
	startServer(t, s)
	c, err := net.Dial("udp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w, _ := query("web.example.", dnswire.TypeA).Pack()
	if _, err := c.Write(w); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var m dnswire.Msg
	if err := m.Unpack(buf[:n]); err != nil || len(m.Answer) != 3 || !m.Authoritative {
		t.Fatalf("UDP: %v %v", err, m.String())
	}

	// RFC 7766 6.2.1: several queries written at once on one TCP
	// connection are all answered, in order.
	tc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	names := []string{"web.example.", "nope.example.", "www.sub.example.", "x.other.test."}
	var batch []byte
	for i, name := range names {
		q := query(name, dnswire.TypeA)
		q.ID = uint16(i + 1)
		w, _ := q.Pack()
		batch, _ = dnswire.AppendTCP(batch, w)
	}
	if _, err := tc.Write(batch); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(tc)
	want := []dnswire.RCode{dnswire.RCodeSuccess, dnswire.RCodeNameError, dnswire.RCodeSuccess, dnswire.RCodeRefused}
	_ = tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range names {
		msg, err := dnswire.ReadTCP(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		var m dnswire.Msg
		if err := m.Unpack(msg); err != nil {
			t.Fatal(err)
		}
		if m.ID != uint16(i+1) || m.RCode != want[i] {
			t.Errorf("TCP answer %d: id %d rcode %v", i, m.ID, m.RCode)
		}
	}
}

func TestTCPIdleTimeoutAndShutdown(t *testing.T) {
	s := testServer(t)
	s.IdleTimeout = 50 * time.Millisecond
	startServer(t, s)
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("idle connection not closed")
	}
	c2, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Error("still accepting after Shutdown")
	}
}

func TestConnectionLimit(t *testing.T) {
	s := testServer(t)
	s.MaxConnsPerIP = 1
	startServer(t, s)
	c1, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	// Make sure c1 is admitted before dialling c2.
	w, _ := query("web.example.", dnswire.TypeA).Pack()
	if err := dnswire.WriteTCP(c1, w); err != nil {
		t.Fatal(err)
	}
	if _, err := dnswire.ReadTCP(c1, nil); err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil {
		t.Error("second connection from the same address was served")
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	rl := &RateLimit{ResponsesPerSecond: 5, Slip: 2}
	a := netipAddr("192.0.2.7")
	var sent, slipped, dropped int
	for range 25 {
		switch rl.decide(a, now) {
		case rrlSend:
			sent++
		case rrlSlip:
			slipped++
		case rrlDrop:
			dropped++
		}
	}
	if sent != 5 || slipped != 10 || dropped != 10 {
		t.Errorf("sent %d slipped %d dropped %d", sent, slipped, dropped)
	}
	// Another /24 has its own bucket; a second later the bucket refills.
	if rl.decide(netipAddr("192.0.3.7"), now) != rrlSend || rl.decide(a, now.Add(time.Second)) != rrlSend {
		t.Error("bucket not per network or not refilled")
	}
	resp := testServer(t).Handle(mustPack(query("web.example.", dnswire.TypeA)), false, nil)
	var m dnswire.Msg
	if err := m.Unpack(slip(resp)); err != nil || !m.Truncated || len(m.Answer) != 0 || len(m.Question) != 1 {
		t.Errorf("slip: %v %v", err, m.String())
	}
}
