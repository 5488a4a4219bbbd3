//go:build interop

package zone

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaykit/relaykit/internal/perftest"

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
// returns the port, the time until NSD answered, the summed resident
// memory of its processes then (KiB) and the PID of its main process.
func startNSDPerf(t *testing.T, text string, servers int, pin ...string) (int, time.Duration, int, int) {
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
	args := append(append([]string(nil), pin...), "/usr/sbin/nsd", "-d", "-c", cf)
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitPerfAnswer(t, port, start)
	return port, time.Since(start), perftest.RSSTree(cmd.Process.Pid), cmd.Process.Pid
}

// startKnotPerf runs Knot DNS serving text as perf.test. on a free port
// with workers UDP and TCP workers, its command line prefixed by pin
// (taskset), and returns the port and PID once it answers.
func startKnotPerf(t *testing.T, text string, workers int, pin ...string) (int, int) {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	os.WriteFile(filepath.Join(dir, "perf.zone"), []byte(text), 0o644)
	conf := fmt.Sprintf("server:\n    listen: 127.0.0.1@%d\n    rundir: %q\n    udp-workers: %d\n    tcp-workers: %d\n"+
		"    background-workers: 1\ncontrol:\n    listen: %q\ndatabase:\n    storage: %q\n"+
		"log:\n  - target: stderr\n    any: error\nzone:\n  - domain: perf.test.\n    file: %q\n"+
		"    zonefile-sync: -1\n    semantic-checks: off\n",
		port, dir, workers, workers, filepath.Join(dir, "knot.sock"), dir, filepath.Join(dir, "perf.zone"))
	cf := filepath.Join(dir, "knot.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	start := time.Now()
	args := append(append([]string(nil), pin...), "/usr/sbin/knotd", "-c", cf)
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitPerfAnswer(t, port, start)
	return port, cmd.Process.Pid
}

// waitPerfAnswer polls the server on port with dig until it answers
// h1.perf.test. (five minutes at most after start).
func waitPerfAnswer(t *testing.T, port int, start time.Time) {
	t.Helper()
	for {
		out, _ := exec.Command("dig", "+tries=1", "+time=1", "-p", strconv.Itoa(port), "@127.0.0.1", "h1.perf.test.", "A").CombinedOutput()
		if strings.Contains(string(out), "status: NOERROR") {
			return
		}
		if time.Since(start) > 5*time.Minute {
			t.Fatalf("the server on port %d never answered", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestInteropPerfQueries measures answers per second for a zone of
// 10,000 names with dnsperf on 127.0.0.1, ours against NSD given the
// same CPUs: each server runs in its own process pinned with taskset to
// the first RELAYKIT_ZONEPERF_CPUS CPUs (default 1) with that many
// threads (GOMAXPROCS and UDP readers for ours, server-count for NSD),
// dnsperf pinned to the CPUs after them (to the same ones when none is
// left). Ours runs twice: batched (recvmmsg/sendmmsg, the default) and
// one datagram per system call (the loop before batching), so the
// change is measured in the same run. Rounds alternate who goes first.
// It runs only when RELAYKIT_ZONEPERF is set to the seconds per round
// (RELAYKIT_ZONEPERF_ROUNDS rounds, default 5).
func TestInteropPerfQueries(t *testing.T) {
	secs := os.Getenv("RELAYKIT_ZONEPERF")
	if secs == "" {
		t.Skip("set RELAYKIT_ZONEPERF=<seconds> to measure")
	}
	for _, bin := range []string{"/usr/sbin/nsd", "/usr/bin/dnsperf", "/usr/bin/dig", "/usr/bin/taskset"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skip(bin + " not installed")
		}
	}
	cpus, rounds := perftest.EnvInt("RELAYKIT_ZONEPERF_CPUS", 1), perftest.EnvInt("RELAYKIT_ZONEPERF_ROUNDS", 5)
	if cpus > runtime.NumCPU() {
		t.Skipf("%d CPUs asked for, %d here", cpus, runtime.NumCPU())
	}
	server := fmt.Sprintf("0-%d", cpus-1)
	client := fmt.Sprintf("%d-%d", cpus, runtime.NumCPU()-1)
	if cpus == runtime.NumCPU() {
		client = server // no CPU left over: dnsperf shares the servers'
	}
	const names = 10000
	text := bigZone(names)
	nsd, _, _, nsdPID := startNSDPerf(t, text, cpus, "taskset", "-c", server)
	type perfServer struct {
		name      string
		pid, port int
	}
	child := func(name string, readers int, batch bool) perfServer {
		pid, port := startZoneChild(t, cpus, readers, batch, server)
		return perfServer{name, pid, port}
	}
	servers := []perfServer{
		child("relaykit batched", cpus, true),
		child("relaykit unbatched", cpus, false),
		{fmt.Sprintf("nsd server-count %d", cpus), nsdPID, nsd},
	}
	if cpus > 1 {
		// Does a second reader pay? The same CPUs, one UDP reader.
		servers = append(servers, child("relaykit batched 1 rdr", 1, true))
	}
	if _, err := os.Stat("/usr/sbin/knotd"); err == nil {
		knot, knotPID := startKnotPerf(t, text, cpus, "taskset", "-c", server)
		servers = append(servers, perfServer{fmt.Sprintf("knot udp-workers %d", cpus), knotPID, knot})
	}

	rng := rand.New(rand.NewPCG(1, 2))
	var q strings.Builder
	for range 20000 {
		fmt.Fprintf(&q, "h%d.perf.test. A\n", rng.IntN(names))
	}
	data := filepath.Join(t.TempDir(), "queries")
	os.WriteFile(data, []byte(q.String()), 0o644)

	rates := make([][]float64, len(servers))
	cpuUs := make([][]float64, len(servers)) // server CPU µs per answer
	for r := range rounds {
		for k := range servers {
			i := (k + r) % len(servers)
			c0 := perftest.CPUTree(servers[i].pid)
			qps, done := perftest.DNSPerf(t, servers[i].port, data, secs, "taskset", "-c", client)
			rates[i] = append(rates[i], qps)
			cpuUs[i] = append(cpuUs[i], (perftest.CPUTree(servers[i].pid)-c0)/done*1e6)
		}
	}
	t.Logf("%d CPU(s) each (servers on %s, dnsperf on %s), %d rounds of %ss:", cpus, server, client, rounds, secs)
	for i, s := range servers {
		t.Logf("%-22s answers/s median %.0f rounds %.0f; CPU µs/answer median %.2f rounds %.2f",
			s.name, perftest.Median(rates[i]), rates[i], perftest.Median(cpuUs[i]), cpuUs[i])
	}
	t.Logf("ratios of medians: batched/nsd %.2f, unbatched/nsd %.2f, batched/unbatched %.2f",
		perftest.Median(rates[0])/perftest.Median(rates[2]), perftest.Median(rates[1])/perftest.Median(rates[2]), perftest.Median(rates[0])/perftest.Median(rates[1]))
	for i, s := range servers {
		if strings.HasPrefix(s.name, "knot") {
			t.Logf("ratios of medians: batched/knot %.2f, nsd/knot %.2f", perftest.Median(rates[0])/perftest.Median(rates[i]), perftest.Median(rates[2])/perftest.Median(rates[i]))
		}
	}
	if cpus > 1 {
		t.Logf("batched, %d readers / 1 reader: %.2f", cpus, perftest.Median(rates[0])/perftest.Median(rates[3]))
	}
}

// startZoneChild runs our Server on the perf zone in a child process
// (this test binary again, TestInteropPerfQueriesChild) pinned to cpus,
// with GOMAXPROCS threads and readers UDP readers, and returns its PID
// and port.
func startZoneChild(t *testing.T, threads, readers int, batch bool, cpus string) (pid, port int) {
	t.Helper()
	port = freePort(t)
	start := time.Now()
	pid = perftest.StartChild(t, "TestInteropPerfQueriesChild", cpus, threads,
		fmt.Sprintf("RELAYKIT_ZONEPERF_CHILD=127.0.0.1:%d %d %v", port, readers, batch))
	waitPerfAnswer(t, port, start)
	return pid, port
}

// TestInteropPerfQueriesChild is a server process of
// TestInteropPerfQueries; it does nothing unless that test started it.
// RELAYKIT_ZONEPERF_PPROF=<file> writes a CPU profile of the batched one
// (<file>.unbatched and <file>.1reader of the others).
func TestInteropPerfQueriesChild(t *testing.T) {
	spec := strings.Fields(os.Getenv("RELAYKIT_ZONEPERF_CHILD"))
	if len(spec) != 3 {
		t.Skip("run by TestInteropPerfQueries")
	}
	readers, _ := strconv.Atoi(spec[1])
	z, err := Parse(strings.NewReader(bigZone(10000)), dnswire.MustName("perf.test."), LoadConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{UDPReaders: readers, noBatch: spec[2] != "true"}
	s.AddZone(z)
	if prof := os.Getenv("RELAYKIT_ZONEPERF_PPROF"); prof != "" {
		if s.noBatch {
			prof += ".unbatched"
		} else if readers == 1 {
			prof += ".1reader"
		}
		f, err := os.Create(prof)
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	if err := s.ListenAndServe(spec[0]); err != nil {
		t.Fatal(err)
	}
	<-sig
	s.Close()
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
	nsdPort, nsdLoad, nsdRSS, _ := startNSDPerf(t, string(b), 1)
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
	t.Logf("AXFR with dig (median of 3): relaykit %.3fs, nsd %.3fs, ratio (nsd/ours) %.2f", perftest.Median(o), perftest.Median(n), perftest.Median(n)/perftest.Median(o))
}
