package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/relaykit/internal/postfixtest"
)

// Config is one benchmark run. The zero value measures nothing; main
// fills it from flags.
type Config struct {
	Messages, Sessions, Length int
	Targets                    []string // "postfix", "relay", "relay-journal"
	Modes                      []string // "queued", "delivered"
	// Rounds repeats every measurement, alternating the targets, so
	// that load from other programs drifts over all of them alike; the
	// table then reports medians. Default 1.
	Rounds      int
	RelayBinary string // examples/relay; built if empty
	// NoMailLog runs the relay with -maillog none (its mail log is on by
	// default, written to a file in its work directory as Postfix writes
	// its maillog); for binaries that predate -maillog.
	NoMailLog bool
	Dir       string // work directory; a temporary one if empty
	Verbose   bool
	Log       io.Writer // progress when Verbose; nil: silent
}

// Result is one measurement: one target loaded in one mode.
type Result struct {
	Target, Mode string
	Messages     int
	// Accept is smtp-source's run time: every message accepted (and, in
	// both modes, durably stored) by the end of it.
	Accept time.Duration
	// Done is the time until the last message was delivered (delivered
	// mode) or is Accept (queued mode).
	Done time.Duration
	// CPU is the server's process-tree CPU time over Done.
	CPU time.Duration
	// SysCPU is the whole machine's busy CPU time over the same interval:
	// every process (smtp-source too) and kernel thread, so work a server
	// leaves to the kernel's flusher threads is counted somewhere.
	SysCPU time.Duration
}

// AcceptRate is messages accepted per second.
func (r Result) AcceptRate() float64 { return float64(r.Messages) / r.Accept.Seconds() }

// DoneRate is messages queued or delivered per second.
func (r Result) DoneRate() float64 { return float64(r.Messages) / r.Done.Seconds() }

// CPUPerMsg is CPU time per message.
func (r Result) CPUPerMsg() time.Duration { return r.CPU / time.Duration(r.Messages) }

// SysCPUPerMsg is the whole machine's CPU time per message.
func (r Result) SysCPUPerMsg() time.Duration { return r.SysCPU / time.Duration(r.Messages) }

// server is one running target, ready for load.
type server struct {
	addr  string              // SMTP listener
	rcpt  string              // recipient smtp-source sends to
	pid   int                 // root of the process tree whose CPU is counted
	count func() (int, error) // messages queued or delivered so far
	stop  func() error
}

// target starts a fresh server for one mode in its own directory.
type target interface {
	start(mode, dir string) (*server, error)
}

// Run measures every target in every mode, one after the other, each on
// a freshly started server with an empty queue.
func Run(cfg Config) ([]Result, error) {
	if cfg.Messages <= 0 || cfg.Sessions <= 0 || cfg.Length <= 0 {
		return nil, errors.New("bench: -m, -s and -l must be positive")
	}
	source, err := findSMTPSource()
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "relaybench"); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	targets := make([]target, len(cfg.Targets))
	for ti, name := range cfg.Targets {
		switch name {
		case "postfix":
			targets[ti] = postfixTarget{}
		case "relay", "relay-journal":
			bin := cfg.RelayBinary
			if bin == "" {
				if bin, err = buildRelay(dir); err != nil {
					return nil, err
				}
				cfg.RelayBinary = bin
			}
			targets[ti] = relayTarget{bin: bin, journal: name == "relay-journal", noMailLog: cfg.NoMailLog}
		default:
			return nil, fmt.Errorf("bench: unknown target %q", name)
		}
	}
	for _, mode := range cfg.Modes {
		if mode != "queued" && mode != "delivered" {
			return nil, fmt.Errorf("bench: unknown mode %q", mode)
		}
	}
	rounds := max(cfg.Rounds, 1)
	var results []Result
	for round := 0; round < rounds; round++ {
		for mi, mode := range cfg.Modes {
			for ti, name := range cfg.Targets {
				if name == "relay-journal" && mode != "delivered" {
					continue // the journal only changes local delivery
				}
				cfg.logf("round %d: %s %s: starting", round+1, name, mode)
				r, err := measure(cfg, source, targets[ti], name, mode, fmt.Sprintf("%s/%d-%d-%d", dir, round, ti, mi))
				if err != nil {
					return results, fmt.Errorf("bench: %s %s: %w", name, mode, err)
				}
				cfg.logf("round %d: %s %s: %.0f msg/s accepted, %.0f msg/s %s, %v CPU/msg",
					round+1, name, mode, r.AcceptRate(), r.DoneRate(), mode, r.CPUPerMsg())
				results = append(results, r)
			}
		}
	}
	return results, nil
}

func (cfg Config) logf(format string, args ...any) {
	if cfg.Verbose && cfg.Log != nil {
		fmt.Fprintf(cfg.Log, format+"\n", args...)
	}
}

// measure starts tg, loads it with smtp-source and waits until every
// message is queued or delivered.
func measure(cfg Config, source string, tg target, name, mode, dir string) (Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, err
	}
	srv, err := tg.start(mode, dir)
	if err != nil {
		return Result{}, err
	}
	defer srv.stop()
	before, err := readCPU(srv.pid)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	cmd := exec.Command(source,
		"-s", strconv.Itoa(cfg.Sessions),
		"-l", strconv.Itoa(cfg.Length),
		"-m", strconv.Itoa(cfg.Messages),
		"-f", "load@source.test", "-t", srv.rcpt, srv.addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("smtp-source: %v\n%s", err, out.String())
	}
	accept := time.Since(start)
	var after cpuReading
	if mode == "queued" {
		// Everything the server did for these messages is done: take the
		// CPU reading before counting, which costs the relay some work.
		if after, err = readCPU(srv.pid); err != nil {
			return Result{}, err
		}
	}
	// Every message was accepted with a 250 reply, which both servers
	// send only after the message is durable; in delivered mode the
	// deliveries may still be running. The count proves nothing was lost.
	limit := time.Duration(cfg.Messages)*10*time.Millisecond + time.Minute
	for {
		n, err := srv.count()
		if err != nil {
			return Result{}, err
		}
		if n >= cfg.Messages {
			break
		}
		if time.Since(start) > limit {
			return Result{}, fmt.Errorf("%d of %d messages %s after %v", n, cfg.Messages, mode, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	done := time.Since(start)
	if mode == "queued" {
		done = accept
	} else if after, err = readCPU(srv.pid); err != nil {
		return Result{}, err
	}
	return Result{Target: name, Mode: mode, Messages: cfg.Messages, Accept: accept, Done: done,
		CPU: after.tree - before.tree, SysCPU: after.machine - before.machine}, nil
}

// cpuReading is the CPU time used so far by a server's process tree and
// by the whole machine.
type cpuReading struct{ tree, machine time.Duration }

func readCPU(pid int) (cpuReading, error) {
	tree, err := postfixtest.TreeCPU(pid)
	if err != nil {
		return cpuReading{}, err
	}
	machine, err := postfixtest.SystemCPU()
	return cpuReading{tree, machine}, err
}

func findSMTPSource() (string, error) {
	for _, p := range []string{"smtp-source", "/usr/sbin/smtp-source"} {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", errors.New("bench: smtp-source not installed (Debian package postfix)")
}

// Table renders results as a markdown table: every run, then (with more
// than one run of a target and mode) the medians, then the ratios of the
// medians, relay/postfix and relay-journal/postfix.
func Table(results []Result) string {
	var b strings.Builder
	b.WriteString("| server | mode | messages | accepted msg/s | queued or delivered msg/s | CPU/msg | machine CPU/msg |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	groups := make(map[string][]Result)
	var order []string
	for _, r := range results {
		k := r.Target + "/" + r.Mode
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.0f | %.3f ms | %.3f ms |\n",
			r.Target, r.Mode, r.Messages, r.AcceptRate(), r.DoneRate(), ms(r.CPUPerMsg()), ms(r.SysCPUPerMsg()))
	}
	med := make(map[string]summary)
	for _, k := range order {
		med[k] = median(groups[k])
		if len(groups[k]) > 1 {
			m := med[k]
			fmt.Fprintf(&b, "| %s median of %d | %s | %d | %.0f | %.0f | %.3f ms | %.3f ms |\n",
				groups[k][0].Target, len(groups[k]), groups[k][0].Mode, groups[k][0].Messages, m.accept, m.done, m.cpu, m.sys)
		}
	}
	for _, mode := range []string{"queued", "delivered"} {
		for _, t := range []string{"relay", "relay-journal"} {
			p, okp := med["postfix/"+mode]
			r, okr := med[t+"/"+mode]
			if !okp || !okr {
				continue
			}
			fmt.Fprintf(&b, "| %s/postfix | %s | | %.2fx | %.2fx | %s | %s |\n",
				t, mode, r.accept/p.accept, r.done/p.done, fraction(p.cpu, r.cpu), fraction(p.sys, r.sys))
		}
	}
	return b.String()
}

// summary is the median of each figure over several runs.
type summary struct{ accept, done, cpu, sys float64 }

// fraction writes ours as a fraction of theirs: "1/5.0".
func fraction(theirs, ours float64) string {
	if ours <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("1/%.1f", theirs/ours)
}

func median(rs []Result) summary {
	pick := func(f func(Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return summary{
		accept: pick(Result.AcceptRate),
		done:   pick(Result.DoneRate),
		cpu:    pick(func(r Result) float64 { return ms(r.CPUPerMsg()) }),
		sys:    pick(func(r Result) float64 { return ms(r.SysCPUPerMsg()) }),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
