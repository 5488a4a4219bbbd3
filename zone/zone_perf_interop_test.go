//go:build interop

package zone

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// bigZone writes a zone of n names under perf.test. (one A record each,
// every tenth with a second), and returns its text.
func bigZone(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN perf.test.\n$TTL 3600\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n")
	for i := range n {
		fmt.Fprintf(&b, "h%d A 10.%d.%d.%d\n", i, i>>16&255, i>>8&255, i&255)
		if i%10 == 0 {
			fmt.Fprintf(&b, "h%d A 10.%d.%d.%d\n", i, 100+i>>16&255, i>>8&255, i&255)
		}
	}
	return b.String()
}

// startNSDPerf runs NSD with servers processes on the zone text; it
// returns the port, the time until NSD answered and the summed resident
// memory of its processes then (KiB).
func startNSDPerf(t *testing.T, text string, servers int) (int, time.Duration, int) {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	os.WriteFile(filepath.Join(dir, "perf.zone"), []byte(text), 0o644)
	conf := fmt.Sprintf("server:\n\tip-address: 127.0.0.1@%d\n\tport: %d\n\tusername: \"\"\n\tchroot: \"\"\n"+
		"\tzonesdir: %q\n\tpidfile: %q\n\tdatabase: \"\"\n\tzonelistfile: %q\n\txfrdfile: %q\n\txfrdir: %q\n"+
		"\tlogfile: %q\n\tserver-count: %d\n\trefuse-any: no\nremote-control:\n\tcontrol-enable: no\n"+
		"zone:\n\tname: perf.test.\n\tzonefile: perf.zone\n\tprovide-xfr: 127.0.0.0/8 NOKEY\n",
		port, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "zone.list"),
		filepath.Join(dir, "xfrd.state"), dir, filepath.Join(dir, "nsd.log"), servers)
	cf := filepath.Join(dir, "nsd.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	start := time.Now()
	cmd := exec.Command("/usr/sbin/nsd", "-d", "-c", cf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for {
		out, _ := exec.Command("dig", "+tries=1", "+time=1", "-p", strconv.Itoa(port), "@127.0.0.1", "h1.perf.test.", "A").CombinedOutput()
		if strings.Contains(string(out), "status: NOERROR") {
			break
		}
		if time.Since(start) > 5*time.Minute {
			t.Fatalf("nsd at %s never answered", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return port, time.Since(start), rssTree(cmd.Process.Pid)
}

// rssTree sums VmRSS (KiB) of pid and its descendants.
func rssTree(pid int) int {
	total := 0
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				n, _ := strconv.Atoi(f[1])
				total += n
			}
		}
	}
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	for _, f := range strings.Fields(string(out)) {
		if c, err := strconv.Atoi(f); err == nil {
			total += rssTree(c)
		}
	}
	return total
}

func dnsperf(t *testing.T, port int, data, secs string) float64 {
	t.Helper()
	out, err := exec.Command("dnsperf", "-s", "127.0.0.1", "-p", strconv.Itoa(port), "-d", data,
		"-l", secs, "-c", "10", "-q", "100").CombinedOutput()
	if err != nil {
		t.Fatalf("dnsperf: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "Queries per second:") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[3], 64)
			return v
		}
	}
	t.Fatalf("no rate in dnsperf output:\n%s", out)
	return 0
}

func median(v []float64) float64 {
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	return v[len(v)/2]
}

// TestInteropPerfQueries measures answers per second for a zone of
// 10,000 names with dnsperf on 127.0.0.1: ours with one UDP reader and
// with GOMAXPROCS readers, NSD with one and with GOMAXPROCS server
// processes, in alternating rounds of the same run. It runs only when
// RELAYKIT_ZONEPERF is set to the seconds per round.
func TestInteropPerfQueries(t *testing.T) {
	secs := os.Getenv("RELAYKIT_ZONEPERF")
	if secs == "" {
		t.Skip("set RELAYKIT_ZONEPERF=<seconds> to measure")
	}
	for _, bin := range []string{"/usr/sbin/nsd", "/usr/bin/dnsperf", "/usr/bin/dig"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skip(bin + " not installed")
		}
	}
	const names = 10000
	text := bigZone(names)
	z, err := Parse(strings.NewReader(text), dnswire.MustName("perf.test."), LoadConfig{})
	if err != nil {
		t.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(0)
	one := &Server{UDPReaders: 1}
	one.AddZone(z)
	startServer(t, one)
	many := &Server{}
	many.AddZone(z)
	startServer(t, many)
	nsd1, _, _ := startNSDPerf(t, text, 1)
	nsdN, _, _ := startNSDPerf(t, text, procs)

	rng := rand.New(rand.NewPCG(1, 2))
	var q strings.Builder
	for range 20000 {
		fmt.Fprintf(&q, "h%d.perf.test. A\n", rng.IntN(names))
	}
	data := filepath.Join(t.TempDir(), "queries")
	os.WriteFile(data, []byte(q.String()), 0o644)

	servers := []struct {
		name string
		port int
	}{
		{"relaykit 1 reader", int(one.Addr().Port())},
		{fmt.Sprintf("relaykit %d readers", procs), int(many.Addr().Port())},
		{"nsd server-count 1", nsd1},
		{fmt.Sprintf("nsd server-count %d", procs), nsdN},
	}
	rates := make([][]float64, len(servers))
	for range 3 {
		for i, s := range servers {
			rates[i] = append(rates[i], dnsperf(t, s.port, data, secs))
		}
	}
	for i, s := range servers {
		t.Logf("%-22s answers/s median %.0f rounds %.0f", s.name, median(rates[i]), rates[i])
	}
	t.Logf("ratios: 1 vs 1: %.2f; %d vs %d: %.2f; relaykit %d readers vs 1: %.2f",
		median(rates[0])/median(rates[2]), procs, procs, median(rates[1])/median(rates[3]), procs, median(rates[1])/median(rates[0]))
}

// TestInteropPerfLoadAXFR measures loading a large zone (time and
// memory) and an AXFR of it with dig, ours against NSD. The zone has
// RELAYKIT_ZONEPERF_NAMES names (default 100,000; about 1.1 records
// each); it runs only when that variable is set.
func TestInteropPerfLoadAXFR(t *testing.T) {
	env := os.Getenv("RELAYKIT_ZONEPERF_NAMES")
	if env == "" {
		t.Skip("set RELAYKIT_ZONEPERF_NAMES=<names> to measure")
	}
	names, _ := strconv.Atoi(env)
	if _, err := os.Stat("/usr/sbin/nsd"); err != nil {
		t.Skip("nsd not installed")
	}
	text := bigZone(names)
	path := filepath.Join(t.TempDir(), "perf.zone")
	os.WriteFile(path, []byte(text), 0o644)
	text = ""

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := Parse(f, dnswire.MustName("perf.test."), LoadConfig{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	load := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	ours := &Server{TransferFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	ours.AddZone(z)
	startServer(t, ours)
	b, _ := os.ReadFile(path)
	nsdPort, nsdLoad, nsdRSS := startNSDPerf(t, string(b), 1)
	t.Logf("zone of %d records: load relaykit %v (heap %d MiB), nsd until answering %v (RSS of its processes %d MiB)",
		z.Len(), load.Round(time.Millisecond), (after.HeapAlloc-before.HeapAlloc)>>20, nsdLoad.Round(time.Millisecond), nsdRSS>>10)

	axfr := func(port int) (time.Duration, int) {
		start := time.Now()
		out, err := exec.Command("dig", "+tries=1", "+time=120", "-p", strconv.Itoa(port), "@127.0.0.1", "perf.test.", "AXFR").Output()
		if err != nil {
			t.Fatalf("dig AXFR from port %d (ours %d) after %v: %v", port, ours.Addr().Port(), time.Since(start), err)
		}
		return time.Since(start), strings.Count(string(out), "\tIN\t")
	}
	var o, n []float64
	for range 3 {
		d, c := axfr(int(ours.Addr().Port()))
		o = append(o, d.Seconds())
		d2, c2 := axfr(nsdPort)
		n = append(n, d2.Seconds())
		if c != c2 {
			t.Errorf("AXFR records: ours %d, nsd %d", c, c2)
		}
	}
	t.Logf("AXFR with dig (median of 3): relaykit %.3fs, nsd %.3fs, ratio (nsd/ours) %.2f", median(o), median(n), median(n)/median(o))
}
