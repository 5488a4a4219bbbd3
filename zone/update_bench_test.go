package zone

import (
	"fmt"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// BenchmarkUpdate measures signed UPDATEs adding one A record each to a
// small zone, answered through Handle: "durable" appends and fsyncs the
// journal before each answer (RFC 2136 3.6), "memory" keeps changes in
// memory only.
func BenchmarkUpdate(b *testing.B) {
	for _, durable := range []bool{true, false} {
		name := "memory"
		if durable {
			name = "durable"
		}
		b.Run(name, func(b *testing.B) {
			dir := ""
			if durable {
				dir = b.TempDir()
			}
			s := updateServer(b, dir)
			defer s.Close()
			msgs := make([][]byte, b.N)
			for i := range msgs {
				u := dnswire.NewUpdate(dnswire.MustName("edu."))
				u.ID = uint16(i)
				u.UpdateAdd(rr(b, fmt.Sprintf("h%d.edu. 60 IN A 192.0.%d.%d", i, i>>8&255, i&255)))
				w, _ := u.Pack()
				w, _, err := dnswire.SignTSIG(w, dnswire.TSIGSign{Key: admin, Time: testNow})
				if err != nil {
					b.Fatal(err)
				}
				msgs[i] = w
			}
			out := make([]byte, 0, 512)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				resp := s.Handle(msgs[i], true, out[:0])
				if len(resp) < 4 || resp[3]&0xF != 0 {
					b.Fatalf("update %d not NOERROR", i)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}
