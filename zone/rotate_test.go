package zone

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// firstAddrs asks for web.example. A n times over one UDP socket and
// returns the answers' addresses in order, one slice per answer.
func firstAddrs(t *testing.T, s *Server, n int) [][]string {
	t.Helper()
	c, err := net.Dial("udp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out [][]string
	buf := make([]byte, 1500)
	for i := 0; i < n; i++ {
		q := query("web.example.", dnswire.TypeA)
		q.ID = uint16(i)
		w, _ := q.Pack()
		if _, err := c.Write(w); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		var m dnswire.Msg
		if err := m.Unpack(buf[:k]); err != nil {
			t.Fatal(err)
		}
		var addrs []string
		for _, rr := range m.Answer {
			addrs = append(addrs, rr.Data.String())
		}
		out = append(out, addrs)
	}
	return out
}

// TestRotate: with Rotate each answer starts one record later, every
// record is still there; without it the order is fixed.
func TestRotate(t *testing.T) {
	s := testServer(t)
	startServer(t, s)
	fixed := firstAddrs(t, s, 3)
	for _, a := range fixed[1:] {
		if !slices.Equal(a, fixed[0]) {
			t.Fatalf("order changed without Rotate: %v", fixed)
		}
	}

	r := testServer(t)
	r.Rotate = true
	startServer(t, r)
	got := firstAddrs(t, r, 4)
	want := slices.Clone(got[0])
	slices.Sort(want)
	seen := map[string]bool{}
	for i, a := range got {
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		if len(a) != 3 || !slices.Equal(sorted, want) {
			t.Fatalf("answer %d holds %v, want the RRset %v", i, a, want)
		}
		if i > 0 && a[0] != got[i-1][1] {
			t.Errorf("answer %d starts with %s, want %s (one place on from %v)", i, a[0], got[i-1][1], got[i-1])
		}
		seen[a[0]] = true
	}
	if len(seen) != 3 {
		t.Errorf("first addresses %v: not every record came first", got)
	}
}
