package mailqueue

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const crashEnv = "MAILQUEUE_CRASH_CHILD"

// crashChild is the child side of TestCrashKill9: it opens the spool,
// starts a queue that delivers to the test server, prints "ack N" after
// each Enqueue of message N returns, and with mode "enqueue" goes on
// until it is killed; with mode "drain" it only delivers.
func crashChild() {
	dir, mode := os.Getenv("CRASH_DIR"), os.Getenv("CRASH_MODE")
	port, _ := strconv.Atoi(os.Getenv("CRASH_PORT"))
	first, _ := strconv.Atoi(os.Getenv("CRASH_FIRST"))
	s, err := OpenSpool(dir, SpoolConfig{SegmentSize: 64 << 10}) // small segments: rotation and compaction get killed too
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	q, err := New(s, Config{
		Resolver: StaticResolver{IP: map[string][]netip.Addr{"example.com": {netip.MustParseAddr("127.0.0.1")}}},
		Port:     uint16(port),
		Schedule: Fixed(time.Second),
		Hostname: "crash.test",
	})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	if mode == "drain" {
		fmt.Println("ready")
		select {} // killed by the parent
	}
	for i := first; ; i++ {
		body := fmt.Sprintf("Subject: crash\r\nX-Seq: %d\r\n\r\nmessage %d\r\n", i, i)
		env := Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}
		if _, err := q.Enqueue(context.Background(), env, []byte(body)); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("ack", i)
	}
}

func seqOf(b []byte) int {
	_, rest, ok := bytes.Cut(b, []byte("X-Seq: "))
	if !ok {
		return -1
	}
	end := bytes.IndexByte(rest, '\r')
	if end < 0 {
		return -1
	}
	n, err := strconv.Atoi(string(rest[:end]))
	if err != nil {
		return -1
	}
	return n
}

// TestCrashKill9 kills a process running the queue with SIGKILL at random
// points while it enqueues and delivers, restarts it, and checks that
// every message whose Enqueue returned was delivered or is still queued.
func TestCrashKill9(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		crashChild()
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	sk, addr := startSink(t)
	dir := t.TempDir()
	acked := map[int]bool{}
	rounds := 6
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	start := func(mode string, first int) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKill9$")
		cmd.Env = append(os.Environ(), crashEnv+"=1", "CRASH_DIR="+dir, "CRASH_MODE="+mode,
			"CRASH_PORT="+strconv.Itoa(int(addr.Port())), "CRASH_FIRST="+strconv.Itoa(first))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, bufio.NewScanner(out)
	}
	for r := range rounds {
		kill := 1 + rnd.IntN(60)
		cmd, sc := start("enqueue", r*100000)
		n := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				t.Fatalf("child: %s", line)
			}
			if v, ok := strings.CutPrefix(line, "ack "); ok {
				i, _ := strconv.Atoi(v)
				acked[i] = true
				if n++; n == kill {
					break
				}
			}
		}
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
	}
	// Restart once more and let it deliver what is left.
	cmd, sc := start("drain", 0)
	for sc.Scan() && sc.Text() != "ready" {
	}
	missing := func() []int {
		got := map[int]bool{}
		for _, m := range sk.received() {
			got[seqOf(m.Data)] = true
		}
		var miss []int
		for i := range acked {
			if !got[i] {
				miss = append(miss, i)
			}
		}
		return miss
	}
	deadline := time.Now().Add(30 * time.Second)
	sk.mu.Lock()
	for len(missingLocked(sk, acked)) > 0 && time.Now().Before(deadline) {
		waitCond(sk, deadline)
	}
	sk.mu.Unlock()
	cmd.Process.Kill()
	cmd.Wait()

	// Whatever is not delivered must still be in the spool.
	s := openSpool(t, dir, SpoolConfig{SegmentSize: 64 << 10})
	queued := map[int]bool{}
	_, bad := scanAll(t, s)
	if len(bad) != 0 {
		t.Fatalf("corruption after kills: %v", bad)
	}
	s.Scan(context.Background(), func(sm Summary) error {
		if m, err := s.Get(context.Background(), sm.ID); err == nil {
			queued[seqOf(m.Body)] = true
		}
		return nil
	})
	var lost []int
	for _, i := range missing() {
		if !queued[i] {
			lost = append(lost, i)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d acknowledged messages lost: %v", len(lost), lost)
	}
	count := map[int]int{}
	for _, m := range sk.received() {
		count[seqOf(m.Data)]++
	}
	dups := 0
	for _, c := range count {
		if c > 1 {
			dups++
		}
	}
	t.Logf("%d rounds, %d acknowledged, %d delivered, %d still queued, %d delivered twice (in flight at a kill)",
		rounds, len(acked), len(count), len(queued), dups)
}

// missingLocked reports acknowledged messages the sink has not seen.
func missingLocked(sk *sink, acked map[int]bool) []int {
	got := map[int]bool{}
	for _, m := range sk.msgs {
		got[seqOf(m.Data)] = true
	}
	var miss []int
	for i := range acked {
		if !got[i] {
			miss = append(miss, i)
		}
	}
	return miss
}

// waitCond waits (with sk.mu held) until the sink receives something or
// the deadline passes.
func waitCond(sk *sink, deadline time.Time) {
	if sk.cond == nil {
		sk.cond = sync.NewCond(&sk.mu)
	}
	t := time.AfterFunc(time.Until(deadline), func() {
		sk.mu.Lock()
		sk.cond.Broadcast()
		sk.mu.Unlock()
	})
	sk.cond.Wait()
	t.Stop()
}
