//go:build interop

package resolver_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"

	"github.com/relaykit/relaykit/internal/perftest"

	"github.com/relaykit/relaykit/resolver"
)

// perfPrefix is the NSD hierarchy of the server performance test, apart
// from interopPrefix so the two can run at the same time.
const perfPrefix = "127.58.0."

// perfQuestions are the cached questions dnsperf sends, in turn.
var perfQuestions = []string{"www.example.com. A", "multi.example.com. A", "example.com. MX", "txt.example.com. TXT",
	"v6.example.com. AAAA", "alias2.example.com. A", "www.example.org. A", "nope.example.com. A"}

// TestInteropServerPerf measures cached answers per second, and CPU per
// answer, of our Server and of Unbound given the same CPUs: each server
// is pinned with taskset to the first RELAYKIT_DNSPERF_CPUS CPUs (default
// 1) with that many threads (GOMAXPROCS for ours, num-threads for
// Unbound), dnsperf to the CPUs after them (to the same ones when none
// is left). Our server runs in a child
// process (this test binary again), so both are measured the same way:
// answers/s from dnsperf, CPU from /proc/<pid>/stat. Rounds alternate;
// medians are logged. It runs only when RELAYKIT_DNSPERF is set to the
// seconds per round (RELAYKIT_DNSPERF_ROUNDS rounds, default 5).
// RELAYKIT_DNSPERF_PPROF=<file> writes a CPU profile of our server.
func TestInteropServerPerf(t *testing.T) {
	secs := os.Getenv("RELAYKIT_DNSPERF")
	if secs == "" {
		t.Skip("set RELAYKIT_DNSPERF=<seconds> to measure")
	}
	need(t, "nsd", "unbound", "dnsperf", "dig", "taskset")
	cpus := perftest.EnvInt("RELAYKIT_DNSPERF_CPUS", 1)
	rounds := perftest.EnvInt("RELAYKIT_DNSPERF_ROUNDS", 5)
	if cpus > runtime.NumCPU() {
		t.Skipf("%d CPUs asked for, %d here", cpus, runtime.NumCPU())
	}
	server := fmt.Sprintf("0-%d", cpus-1)
	client := fmt.Sprintf("%d-%d", cpus, runtime.NumCPU()-1)
	if cpus == runtime.NumCPU() {
		client = server // no CPU left over: dnsperf shares the server's
	}
	startNSD(t, perfPrefix)
	root := perfPrefix + "1"

	upid, uport := startUnboundPinned(t, root, cpus, server)
	opid, oport := startOursChild(t, root, cpus, server)
	data := filepath.Join(t.TempDir(), "queries")
	os.WriteFile(data, []byte(strings.Join(perfQuestions, "\n")+"\n"), 0o644)
	for _, p := range []int{uport, oport} {
		for _, q := range perfQuestions {
			f := strings.Fields(q)
			dig(t, p, f[0], f[1])
		}
	}
	type figure struct{ qps, cpuUs float64 }
	perf := func(pid, port int) figure {
		c0 := perftest.CPUTree(pid)
		qps, done := perftest.DNSPerf(t, port, data, secs, "taskset", "-c", client)
		return figure{qps, (perftest.CPUTree(pid) - c0) / done * 1e6}
	}
	var oq, uq, oc, uc, rq, rc []float64
	for i := range rounds {
		// Alternate who goes first, so neither always follows the other.
		var o, u figure
		if i%2 == 0 {
			o, u = perf(opid, oport), perf(upid, uport)
		} else {
			u, o = perf(upid, uport), perf(opid, oport)
		}
		t.Logf("round %d: relaykit %.0f answers/s, %.2f µs CPU/answer; unbound %.0f answers/s, %.2f µs CPU/answer; ratios %.2f, %.2f",
			i+1, o.qps, o.cpuUs, u.qps, u.cpuUs, o.qps/u.qps, u.cpuUs/o.cpuUs)
		oq, uq, oc, uc = append(oq, o.qps), append(uq, u.qps), append(oc, o.cpuUs), append(uc, u.cpuUs)
		rq, rc = append(rq, o.qps/u.qps), append(rc, u.cpuUs/o.cpuUs)
	}
	t.Logf("%d CPU(s) each (server on %s, dnsperf on %s), %d rounds of %ss, medians: relaykit %.0f answers/s %.2f µs CPU/answer; unbound %.0f answers/s %.2f µs CPU/answer; answers/s ratio %.2f (rounds %s), CPU/answer ratio %.2f (rounds %s)",
		cpus, server, client, rounds, secs, perftest.Median(oq), perftest.Median(oc), perftest.Median(uq), perftest.Median(uc),
		perftest.Median(rq), perftest.Sorted(rq), perftest.Median(rc), perftest.Sorted(rc))
}

// startUnboundPinned runs Unbound as startUnbound does, with threads
// threads sharing the port (so-reuseport), pinned to cpus, and returns
// its PID and port.
func startUnboundPinned(t *testing.T, rootIP string, threads int, cpus string) (int, int) {
	return runUnbound(t, unboundConf{rootIP: rootIP, extra: iteratorConf(threads) + "  so-reuseport: yes\n",
		prefix: []string{"taskset", "-c", cpus}})
}

// startOursChild runs our Server in a child process (this test binary,
// TestInteropServerPerfChild) pinned to cpus with GOMAXPROCS=threads and
// returns its PID and port.
func startOursChild(t *testing.T, rootIP string, threads int, cpus string) (int, int) {
	port := freePort(t, "127.0.0.1")
	pid := perftest.StartChild(t, "TestInteropServerPerfChild", cpus, threads,
		"RELAYKIT_PERF_CHILD="+fmt.Sprintf("%s:53 127.0.0.1:%d", rootIP, port))
	waitDNS(t, fmt.Sprintf("127.0.0.1:%d", port), "www.example.com.")
	return pid, port
}

// TestInteropServerPerfChild is the server process of
// TestInteropServerPerf; it does nothing unless that test started it.
func TestInteropServerPerfChild(t *testing.T) {
	spec := strings.Fields(os.Getenv("RELAYKIT_PERF_CHILD"))
	if len(spec) != 2 {
		t.Skip("run by TestInteropServerPerf")
	}
	hint := netip.MustParseAddrPort(spec[0])
	r := resolver.New(resolver.Config{RootHints: []netip.AddrPort{hint}, GluePort: 53, AllowSpecialAddrs: true})
	s := resolver.NewServer(resolver.ServerConfig{Resolver: r})
	if prof := os.Getenv("RELAYKIT_DNSPERF_PPROF"); prof != "" {
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
	go func() { <-sig; s.Close() }()
	s.ListenAndServe(spec[1])
}
