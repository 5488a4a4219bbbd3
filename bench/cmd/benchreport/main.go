// Command benchreport turns the output of several rounds of `go test
// -bench` over bench/ (the same benchmarks run once per round, rounds
// interleaved in time) into the README's comparison table: for every
// benchmark, relaykit's median and range, each peer's median and range
// from the same rounds, and the ratio peer/relaykit as the median (and
// range) of the per-round ratios. bench/report.sh runs it.
//
// Usage:
//
//	go run ./cmd/benchreport raw.txt
//	go run ./cmd/benchreport runA.txt runB.txt runC.txt
//
// Given the raw data of several runs of report.sh, it prints instead
// how each row's ratio moved between the runs: the ratio of each run,
// and the spread, max/min-1 of those ratios, so the README's claim that
// a ratio holds within about 10% from run to run can be checked.
//
// Benchmarks are named BenchmarkX[/case]/impl=<name>; impl=relaykit (and
// relaykit-<variant>) are ours, every other impl is a peer. The ratio uses
// the metric that the load on a shared machine disturbs least: the
// server's CPU per message (srv-cpu-ns/msg) where a benchmark reports it,
// else process CPU per op (cpu-ns/op), else wall time (sec/op).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchreport raw.txt [raw2.txt ...]")
		os.Exit(2)
	}
	var runs []*results
	for _, name := range os.Args[1:] {
		res, err := parseFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		runs = append(runs, res)
	}
	if len(runs) == 1 {
		fmt.Print(table(runs[0]))
		return
	}
	fmt.Print(compareRuns(os.Args[1:], runs))
}

func parseFile(name string) (*results, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f)
}

// sample is one benchmark line: metric unit -> value.
type sample map[string]float64

// results holds, per benchmark group (the name without impl=) and impl,
// the samples in round order.
type results struct {
	groups []string // in first-seen order
	impls  map[string][]string
	data   map[string]map[string][]sample
}

// parse reads go test -bench output.
func parse(r io.Reader) (*results, error) {
	res := &results{impls: map[string][]string{}, data: map[string]map[string][]sample{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a name printed by -v, not a result
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the -GOMAXPROCS suffix
			}
		}
		group, impl := name, "relaykit"
		if i := strings.LastIndexByte(name, '/'); i >= 0 && bareImpl(name[i+1:]) {
			// The POP3 and IMAP benchmarks name the server alone
			// (BenchmarkPOP3Retrieve10k/dovecot).
			group, impl = name[:i], name[i+1:]
		} else if i := strings.Index(name, "/impl="); i >= 0 {
			group = name[:i]
			impl = name[i+len("/impl="):]
			if j := strings.IndexByte(impl, '/'); j >= 0 {
				group += impl[j:]
				impl = impl[:j]
			}
		}
		group = strings.TrimPrefix(group, "Benchmark")
		s := sample{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchreport: %q: %v", sc.Text(), err)
			}
			s[f[i+1]] = v
		}
		if res.data[group] == nil {
			res.groups = append(res.groups, group)
			res.data[group] = map[string][]sample{}
		}
		if res.data[group][impl] == nil {
			res.impls[group] = append(res.impls[group], impl)
		}
		res.data[group][impl] = append(res.data[group][impl], s)
	}
	return res, sc.Err()
}

// ratioMetric is the unit compared for a group, the first one its samples
// have of: server CPU per message, memory per session, process CPU per
// op, wall time per op.
func ratioMetric(ss map[string][]sample) string {
	cands := []string{"srv-cpu-ns/msg"}
	for _, s := range ss {
		for u := range s[0] {
			if strings.HasPrefix(u, "B/") && u != "B/op" && !slices.Contains(cands, u) {
				// Memory per session (B/idle-session): the figure of
				// the memory benchmarks, whose ns/op is set-up time.
				cands = append(cands, u)
			}
		}
		break
	}
	cands = append(cands, "cpu-ns/op", "ns/op")
	for _, m := range cands {
		ok := true
		for _, s := range ss {
			if len(s) == 0 {
				ok = false
				break
			}
			if _, has := s[0][m]; !has {
				ok = false
			}
		}
		if ok {
			return m
		}
	}
	return ""
}

// stats returns the median, minimum and maximum of the metric m.
func stats(ss []sample, m string) (med, lo, hi float64, ok bool) {
	var v []float64
	for _, s := range ss {
		if x, has := s[m]; has {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, 0, 0, false
	}
	return median(v), slices.Min(v), slices.Max(v), true
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// roundRatios returns peer/ours for each round both have, for metric m.
func roundRatios(ours, peer []sample, m string) []float64 {
	var r []float64
	for i := range min(len(ours), len(peer)) {
		o, p := ours[i][m], peer[i][m]
		if o > 0 && p > 0 {
			r = append(r, p/o)
		}
	}
	return r
}

// bareImpl reports whether a last name element without "impl=" names a
// server: relaykit, relaykit-<variant> or dovecot.
func bareImpl(s string) bool { return isOurs(s) || s == "dovecot" }

func isOurs(impl string) bool { return impl == "relaykit" || strings.HasPrefix(impl, "relaykit-") }

// table formats the comparison as a Markdown table.
func table(res *results) string {
	var b strings.Builder
	b.WriteString("| benchmark | input | relaykit | median [range] | allocs, B/op | peer | median [range] | allocs, B/op | ratio peer/ours, median [range of rounds] |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range res.groups {
		ss := res.data[g]
		m := ratioMetric(ss)
		for _, pr := range pairs(res, g) {
			b.WriteString(row(g, pr[0], pr[1], m, ss))
		}
	}
	return b.String()
}

func row(group, ours, peer, m string, ss map[string][]sample) string {
	cell := func(impl string) (string, string) {
		if impl == "" {
			return "", ""
		}
		med, lo, hi, ok := stats(ss[impl], m)
		if !ok {
			return "?", ""
		}
		v := fmt.Sprintf("%s %s [%s-%s]", num(med), m, num(lo), num(hi))
		if mm, _, _, ok := stats(ss[impl], "msgs/s"); ok {
			v += fmt.Sprintf("; %s msgs/s", num(mm))
		}
		al := ""
		allocUnit := "allocs/op"
		if _, has := ss[impl][0]["srv-allocs/msg"]; has {
			allocUnit = "srv-allocs/msg"
		}
		if a, _, _, ok := stats(ss[impl], allocUnit); ok {
			al = num(a)
			if by, _, _, ok := stats(ss[impl], "B/op"); ok && allocUnit == "allocs/op" {
				al += ", " + num(by) + " B"
			}
		}
		return v, al
	}
	ov, oa := cell(ours)
	pv, pa := cell(peer)
	ratio := ""
	if peer != "" {
		if r := roundRatios(ss[ours], ss[peer], m); len(r) > 0 {
			ratio = fmt.Sprintf("**%.2fx** [%.2f-%.2f], %d rounds", median(r), slices.Min(r), slices.Max(r), len(r))
		}
		if mo, _, _, ok := stats(ss[ours], "msgs/s"); ok {
			if mp, _, _, ok := stats(ss[peer], "msgs/s"); ok && mp > 0 {
				ratio += fmt.Sprintf("; msgs/s %.2fx", mo/mp)
			}
		}
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		group, inputForm(group, ours, peer), ours, ov, oa, peer, pv, pa, ratio)
}

// pairs returns a group's (ours, peer) pairs, in the order table
// prints them; a group without a peer gives (ours, "").
func pairs(res *results, g string) [][2]string {
	var ours, peers []string
	for _, impl := range res.impls[g] {
		if isOurs(impl) {
			ours = append(ours, impl)
		} else {
			peers = append(peers, impl)
		}
	}
	if len(peers) == 0 {
		peers = []string{""}
	}
	var out [][2]string
	for _, o := range ours {
		for _, p := range peers {
			out = append(out, [2]string{o, p})
		}
	}
	return out
}

// compareRuns formats, for every row of the first run, the median
// per-round ratio in each run and their spread (max/min-1); a row some
// run lacks shows "-" there and no spread.
func compareRuns(names []string, runs []*results) string {
	var b strings.Builder
	b.WriteString("| benchmark | relaykit | peer |")
	for _, n := range names {
		fmt.Fprintf(&b, " %s |", n)
	}
	b.WriteString(" spread (max/min-1) |\n|---|---|---|")
	b.WriteString(strings.Repeat("---|", len(names)+1) + "\n")
	for _, g := range runs[0].groups {
		m := ratioMetric(runs[0].data[g])
		for _, pr := range pairs(runs[0], g) {
			if pr[1] == "" {
				continue // no ratio
			}
			fmt.Fprintf(&b, "| %s | %s | %s |", g, pr[0], pr[1])
			var rs []float64
			for _, res := range runs {
				ss := res.data[g]
				r := roundRatios(ss[pr[0]], ss[pr[1]], m)
				if len(r) == 0 {
					b.WriteString(" - |")
					continue
				}
				rs = append(rs, median(r))
				fmt.Fprintf(&b, " %.2fx |", median(r))
			}
			if len(rs) == len(runs) {
				spread := slices.Max(rs)/slices.Min(rs) - 1
				mark := ""
				if spread > 0.10 {
					mark = " (over 10%)"
				}
				fmt.Fprintf(&b, " %.0f%%%s |", 100*spread, mark)
			} else {
				b.WriteString(" |")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// num prints a figure with three significant digits.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// inputForms says, per benchmark, what input each side decodes or serves
// (fresh or reused message, byte slice or reader), so no row compares
// unlike work unnoticed. Benchmarks not listed print "see bench/".
var inputForms = map[string]string{
	"DNSParserWalk":                "213-byte response as a byte slice, every record's data decoded; ours reads headers in place (relaykit) or by value (relaykit-byvalue), x/net by value",
	"DNSUnpack":                    "byte slice into a reused message value, both sides",
	"DNSUnpackFresh":               "byte slice into a fresh message value per op, both sides",
	"DNSPack":                      "the fixture's records packed with compression into a reused buffer, both sides",
	"DNSSECUnpack":                 "3.1 KB DNSSEC response, byte slice into a reused message",
	"DNSSECPack":                   "that response packed into a reused buffer",
	"MailHeaderAndAddresses":       "3 KiB message; ours from a byte slice, net/mail from a bytes.Reader",
	"MailHeader":                   "header block; ours from a byte slice, peers from a bytes.Reader",
	"MailAddressList":              "the three address-list strings, both sides",
	"MailReadHeader":               "header from a bufio.Reader for both (ours copies it)",
	"MailReadHeaderAndAddresses":   "3 KiB message from a fresh bytes.Reader for both (ReadMessage), then From/To/Cc",
	"SMTPServer":                   "4 KiB messages, 8 connections, same in-process raw pipelining client for both; time includes the client",
	"SMTPServerProc/client=raw":    "4 KiB messages, 8 connections, server in its own process; same raw pipelining client (MAIL+RCPT+DATA in one write) for both",
	"SMTPServerProc/client=gosmtp": "as above with go-smtp's own client (no pipelining, 4 round trips) for both",
	"SMTPClient":                   "4 KiB from a bytes.Reader, one connection, relaykit discard server as sink for every client",
	"SMTPClientLatency":            "as SMTPClient through a proxy adding 5 ms each way",
	"SMTPCommandParse":             "4 command lines as byte slices (no peer: go-smtp's parser is unexported)",
}

func inputForm(group, ours, peer string) string {
	if s, ok := inputForms[group]; ok {
		return s
	}
	if i := strings.IndexByte(group, '/'); i > 0 {
		if s, ok := inputForms[group[:i]]; ok {
			return s
		}
	}
	return "see bench/*_test.go"
}
