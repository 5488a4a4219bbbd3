package zone

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// BenchmarkAXFR sends a zone of 100,000 A records (91,000 names) as an
// AXFR over an in-memory connection.
func BenchmarkAXFR(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("$ORIGIN perf.test.\n$TTL 3600\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n")
	for i := range 91000 {
		fmt.Fprintf(&sb, "h%d A 10.%d.%d.%d\n", i, i>>16&255, i>>8&255, i&255)
		if i%10 == 0 {
			fmt.Fprintf(&sb, "h%d A 10.%d.%d.%d\n", i, 100+i>>16&255, i>>8&255, i&255)
		}
	}
	z, err := Parse(strings.NewReader(sb.String()), dnswire.MustName("perf.test."), LoadConfig{})
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{}
	s.AddZone(z)
	var q dnswire.Msg
	q.SetQuestion(dnswire.MustName("perf.test."), dnswire.TypeAXFR)
	b.ReportAllocs()
	for b.Loop() {
		c1, c2 := net.Pipe()
		done := make(chan int64)
		go func() {
			n, _ := io.Copy(io.Discard, c2)
			done <- n
		}()
		s.sendTransfer(c1, &q, s.axfrRecords(z), nil)
		c1.Close()
		if n := <-done; n < 1000000 {
			b.Fatalf("%d bytes sent", n)
		}
	}
}
