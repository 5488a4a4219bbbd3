package zone

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// BenchmarkParse loads a zone of 10,000 names (11,000 A records).
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("$ORIGIN perf.test.\n$TTL 3600\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n")
	for i := range 10000 {
		fmt.Fprintf(&sb, "h%d A 10.0.%d.%d\n", i, i>>8&255, i&255)
		if i%10 == 0 {
			fmt.Fprintf(&sb, "h%d A 10.1.%d.%d\n", i, i>>8&255, i&255)
		}
	}
	text := sb.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(strings.NewReader(text), dnswire.MustName("perf.test."), LoadConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
