// Package perftest is the harness of the DNS servers' load tests (the
// resolver's and zone's *_perf_interop_test.go): a server under test runs
// in a child process pinned to CPUs, dnsperf loads it, and /proc gives
// the CPU time and memory the server and its children used. Linux only in
// practice (taskset, pgrep, /proc); the tests skip elsewhere.
package perftest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaykit/relaykit/internal/proctest"
)

// EnvInt returns the positive integer in the environment variable name,
// or def.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// Median returns the median of v (the mean of the middle two for an even
// count); v is not changed.
func Median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Sorted formats v in increasing order with two decimals, for a log line
// of per-round ratios.
func Sorted(v []float64) string {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

// CPUTree returns the CPU time (user and system, seconds) pid and its
// descendants have used so far.
func CPUTree(pid int) float64 {
	var total float64
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The fields after the command name, which is in parentheses.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) {
			if f := strings.Fields(string(b[i+2:])); len(f) > 12 {
				ut, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				total += (ut + st) / 100 // USER_HZ is 100 on Linux
			}
		}
	}
	for _, c := range childPIDs(pid) {
		total += CPUTree(c)
	}
	return total
}

// RSSTree sums VmRSS (KiB) of pid and its descendants.
func RSSTree(pid int) int {
	total := 0
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				n, _ := strconv.Atoi(f[1])
				total += n
			}
		}
	}
	for _, c := range childPIDs(pid) {
		total += RSSTree(c)
	}
	return total
}

func childPIDs(pid int) []int {
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if c, err := strconv.Atoi(f); err == nil {
			pids = append(pids, c)
		}
	}
	return pids
}

// StartChild runs this test binary again with -test.run=^test$, pinned to
// cpus with taskset, GOMAXPROCS=threads and env added to the environment,
// and returns the child's PID. Its output goes to a log shown when t
// fails. At the end of the test it gets SIGTERM (so it can write a
// profile) and, after 10 s, SIGKILL.
func StartChild(t *testing.T, test, cpus string, threads int, env ...string) int {
	t.Helper()
	cmd := exec.Command("taskset", "-c", cpus, os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(threads)), env...)
	log := filepath.Join(t.TempDir(), "child.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proctest.Stop(cmd, syscall.SIGTERM, 10*time.Second)
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log)
			t.Logf("child:\n%s", b)
		}
	})
	return cmd.Process.Pid
}

// DNSPerf runs dnsperf (after the pin command, if any, such as taskset
// -c 1) against 127.0.0.1:port for secs seconds with the queries in the
// file data, 10 clients and 100 queries in flight, and returns the
// answers per second and the queries completed.
func DNSPerf(t *testing.T, port int, data, secs string, pin ...string) (qps, done float64) {
	t.Helper()
	args := append(append([]string(nil), pin...), "dnsperf", "-s", "127.0.0.1", "-p", strconv.Itoa(port), "-d", data,
		"-l", secs, "-c", "10", "-q", "100")
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("dnsperf: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case strings.Contains(line, "Queries per second:") && len(f) > 3:
			qps, _ = strconv.ParseFloat(f[3], 64)
		case strings.Contains(line, "Queries completed:") && len(f) > 2:
			done, _ = strconv.ParseFloat(f[2], 64)
		}
	}
	if qps == 0 || done == 0 {
		t.Fatalf("no rate in dnsperf output:\n%s", out)
	}
	return qps, done
}
