package relay

import (
	"bytes"
	"fmt"
	"net/netip"
	netsmtp "net/smtp"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// rssChildEnv makes the test binary run TestPeakRSSChild for real.
const rssChildEnv = "RELAY_RSS_CHILD_RCPTS"

// TestPeakRSSChild is BenchmarkRelayPeakRSS's child process: a relay in
// this process receives one 4 MB message for N local recipients over SMTP
// and the process prints its peak RSS. Without the environment variable
// it does nothing.
func TestPeakRSSChild(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(rssChildEnv))
	if n == 0 {
		t.Skip("run by BenchmarkRelayPeakRSS")
	}
	r := startRelay(t, Config{
		Domains: []string{"local.test"},
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		MaxSize: 8 << 20, MaxRecipients: 1000, Hold: true,
	})
	msg := append([]byte("From: a@local.test\r\nSubject: big\r\n\r\n"), bytes.Repeat([]byte(strings.Repeat("x", 62)+"\r\n"), 4<<20/64)...)
	var rcpts []string
	for i := range n {
		rcpts = append(rcpts, "u"+strconv.Itoa(i)+"@local.test")
	}
	if err := netsmtp.SendMail(r.Addr(), nil, "a@local.test", rcpts, msg); err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("peak-rss-kb %d\n", ru.Maxrss)
}

// BenchmarkRelayPeakRSS measures the relay process's peak resident memory
// (getrusage ru_maxrss of a child process) while it accepts one 4 MB
// message for 1, 50 and 1,000 local recipients (written into a maildir
// each). The message is held once however many recipients it has. Run
// with -benchtime 1x: each iteration is a new process writing N files.
func BenchmarkRelayPeakRSS(b *testing.B) {
	for _, n := range []int{1, 50, 1000} {
		b.Run("rcpts="+strconv.Itoa(n), func(b *testing.B) {
			var peak int64
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestPeakRSSChild$", "-test.v")
				cmd.Env = append(os.Environ(), rssChildEnv+"="+strconv.Itoa(n), "TMPDIR="+b.TempDir())
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				i := bytes.Index(out, []byte("peak-rss-kb "))
				if i < 0 {
					b.Fatalf("no figure in:\n%s", out)
				}
				kb, _ := strconv.ParseInt(string(bytes.Fields(out[i:])[1]), 10, 64)
				peak = max(peak, kb)
			}
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
		})
	}
}
