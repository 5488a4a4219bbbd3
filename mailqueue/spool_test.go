package mailqueue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func testMessage(id ID, rcpts ...string) *Message {
	m := &Message{ID: id}
	m.Envelope.From = "alice@example.org"
	for _, r := range rcpts {
		m.Envelope.Recipients = append(m.Envelope.Recipients, Recipient{Addr: r})
		m.State.Rcpts = append(m.State.Rcpts, RcptState{})
	}
	m.State.Created = time.Unix(1700000000, 0)
	m.State.NextAttempt = m.State.Created
	m.Body = []byte(fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", id, id))
	return m
}

// openSpool opens dir for a test and closes it at cleanup. It skips the
// directory lock: tests reopen a directory whose Spool they
// abandoned, as a crashed process would leave it.
func openSpool(t testing.TB, dir string, cfg SpoolConfig) *Spool {
	t.Helper()
	cfg.noLock = true
	s, err := OpenSpool(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func scanAll(t testing.TB, s *Spool) (ok map[ID]Summary, bad []error) {
	t.Helper()
	ok = map[ID]Summary{}
	err := s.Scan(context.Background(), func(sm Summary) error {
		if sm.Err != nil {
			bad = append(bad, sm.Err)
		} else {
			ok[sm.ID] = sm
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ok, bad
}

func TestSpoolRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openSpool(t, dir, SpoolConfig{})
	m := testMessage(7, "bob@example.com", "carol@example.net")
	m.Envelope.Ret = RetFull
	m.Envelope.EnvID = "env-1"
	m.Envelope.Recipients[1].Notify = NotifyFailure | NotifyDelay
	m.Envelope.Recipients[1].ORCPT = "rfc822;carol@example.net"
	if err := s.Put(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("Get = %+v\nwant %+v", got, m)
	}
	st := m.State.clone()
	st.Attempts = 3
	st.NextAttempt = st.Created.Add(time.Hour)
	st.Rcpts[0] = RcptState{Status: StatusDelivered, Reply: "250 ok", RemoteMTA: "mx.example.com", Updated: st.Created.Add(time.Minute)}
	if err := s.Update(ctx, 7, &st); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, testMessage(8, "x@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, testMessage(8, "x@example.com")); err == nil {
		t.Fatal("duplicate Put succeeded")
	}
	if err := s.Remove(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, 8, &st); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update of removed = %v", err)
	}
	s.Close()

	s2 := openSpool(t, dir, SpoolConfig{})
	sums, bad := scanAll(t, s2)
	if len(bad) != 0 || len(sums) != 1 {
		t.Fatalf("after reopen: %v %v", sums, bad)
	}
	if !sums[7].NextAttempt.Equal(st.NextAttempt) {
		t.Fatalf("recovered next attempt %v, want %v", sums[7].NextAttempt, st.NextAttempt)
	}
	got, err = s2.Get(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.State, st) {
		t.Fatalf("recovered state %+v\nwant %+v", got.State, st)
	}
	if _, err := s2.Get(ctx, 8); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed message came back: %v", err)
	}
}

func TestSpoolConcurrentGroupCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var syncs int
	var mu sync.Mutex
	s := openSpool(t, dir, SpoolConfig{SegmentSize: 64 << 10, fault: func(op string) error {
		if op == "sync" {
			mu.Lock()
			syncs++
			mu.Unlock()
		}
		return nil
	}})
	const P, N = 8, 50
	var wg sync.WaitGroup
	for p := range P {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range N {
				id := ID(p*1000 + i + 1)
				if err := s.Put(ctx, testMessage(id, "b@example.com")); err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if err := s.Remove(ctx, id); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if s.Len() != P*N/2 {
		t.Fatalf("Len = %d", s.Len())
	}
	s.Close()
	s2 := openSpool(t, dir, SpoolConfig{SegmentSize: 64 << 10})
	sums, bad := scanAll(t, s2)
	if len(bad) != 0 || len(sums) != P*N/2 {
		t.Fatalf("recovered %d, bad %v", len(sums), bad)
	}
	for id := range sums {
		m, err := s2.Get(ctx, id)
		if err != nil || m.ID != id {
			t.Fatalf("Get(%v) = %v", id, err)
		}
	}
}

// TestSpoolLeaderHandsOff checks that the caller whose record is durable
// returns while records that arrived during its flush are still being
// written: the writer's role passes to one of their callers.
func TestSpoolLeaderHandsOff(t *testing.T) {
	ctx := context.Background()
	gate := make(chan struct{})
	entered := make(chan struct{}, 16)
	var armed atomic.Bool
	s := openSpool(t, t.TempDir(), SpoolConfig{fault: func(op string) error {
		if op == "write" && armed.Load() {
			entered <- struct{}{}
			<-gate
		}
		return nil
	}})
	// The first record zero-fills the segment ahead (prealloc), so the
	// batches below make one write each.
	if err := s.Put(ctx, testMessage(100, "b@example.com")); err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	var once sync.Once
	release := func() { armed.Store(false); once.Do(func() { close(gate) }) }
	defer release() // a failing check must not leave writers blocked
	first := make(chan error, 1)
	go func() { first <- s.Put(ctx, testMessage(1, "b@example.com")) }()
	<-entered // the first caller leads and is writing its record
	later := make(chan error, 2)
	for id := ID(2); id <= 3; id++ {
		go func() { later <- s.Put(ctx, testMessage(id, "b@example.com")) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.pending)
		s.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d operations pending, want 2", n)
		}
		time.Sleep(time.Millisecond)
	}
	gate <- struct{}{} // finish the first batch
	<-entered          // the next batch is being written, by someone
	select {
	case err := <-first:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first caller is still writing the others' batch")
	}
	release()
	for range 2 {
		if err := <-later; err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 4 {
		t.Fatalf("Len = %d, want 4", s.Len())
	}
}

func TestSpoolWriteFaults(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"write", "sync"} {
		for _, truncFails := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/truncfails=%v", op, truncFails), func(t *testing.T) {
				dir := t.TempDir()
				var failing bool
				var mu sync.Mutex
				s := openSpool(t, dir, SpoolConfig{fault: func(o string) error {
					mu.Lock()
					defer mu.Unlock()
					if failing && (o == op || (truncFails && o == "truncate")) {
						return syscall.ENOSPC
					}
					return nil
				}})
				if err := s.Put(ctx, testMessage(1, "a@example.com")); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				failing = true
				mu.Unlock()
				err := s.Put(ctx, testMessage(2, "a@example.com"))
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Put on full disk = %v", err)
				}
				mu.Lock()
				failing = false
				mu.Unlock()
				if err := s.Put(ctx, testMessage(3, "a@example.com")); err != nil {
					t.Fatal(err)
				}
				s.Close()
				s2 := openSpool(t, dir, SpoolConfig{})
				sums, bad := scanAll(t, s2)
				if len(bad) != 0 {
					t.Fatalf("corruption reported after failed write: %v", bad)
				}
				_, has1 := sums[1]
				_, has3 := sums[3]
				if !has1 || !has3 {
					t.Fatalf("lost acknowledged messages: %v", sums)
				}
				if _, has2 := sums[2]; has2 && !(op == "sync" && truncFails) {
					// Only a completed write whose flush failed and that
					// could not be truncated may come back (see undo).
					t.Fatalf("message whose Put failed came back")
				}
			})
		}
	}
}

func TestSpoolTornTail(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openSpool(t, dir, SpoolConfig{})
	for id := ID(1); id <= 3; id++ {
		if err := s.Put(ctx, testMessage(id, "a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	seg := filepath.Join(dir, "seg", "00000001.log")
	full, _ := os.ReadFile(seg)
	// Append half of a fourth record, as a crash during its write would.
	s4 := testMessage(4, "a@example.com")
	p := encodePutPayload(s4)
	rec := make([]byte, recHeaderLen)
	h := recHeader{typ: recPut, id: 4, seq: 1, n: uint32(len(p))}
	h.put(rec)
	rec = append(rec, p...)
	for _, cut := range []int{5, recHeaderLen + 3, len(rec) - 1} {
		os.WriteFile(seg, append(append([]byte(nil), full...), rec[:cut]...), 0o600)
		s2 := openSpool(t, dir, SpoolConfig{})
		sums, bad := scanAll(t, s2)
		if len(bad) != 0 || len(sums) != 3 {
			t.Fatalf("cut %d: %d recovered, bad %v", cut, len(sums), bad)
		}
		if err := s2.Put(ctx, testMessage(9, "z@example.com")); err != nil {
			t.Fatal(err)
		}
		s2.Close()
		s3 := openSpool(t, dir, SpoolConfig{})
		if sums, bad := scanAll(t, s3); len(bad) != 0 || len(sums) != 4 {
			t.Fatalf("cut %d: after append %d recovered, bad %v", cut, len(sums), bad)
		}
		s3.Remove(ctx, 9)
		s3.Close()
	}
}

func TestSpoolCorruptSetAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openSpool(t, dir, SpoolConfig{})
	var offs []int64
	for id := ID(1); id <= 5; id++ {
		s.mu.Lock()
		if s.active != nil {
			offs = append(offs, s.active.size)
		} else {
			offs = append(offs, 0)
		}
		s.mu.Unlock()
		if err := s.Put(ctx, testMessage(id, "a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	seg := filepath.Join(dir, "seg", "00000001.log")
	b, _ := os.ReadFile(seg)
	b[offs[2]+recHeaderLen+10] ^= 0xFF // damage message 3's payload
	os.WriteFile(seg, b, 0o600)

	s2 := openSpool(t, dir, SpoolConfig{})
	sums, bad := scanAll(t, s2)
	if len(sums) != 4 || len(bad) != 1 {
		t.Fatalf("recovered %d, bad %v", len(sums), bad)
	}
	var ce *CorruptError
	if !errors.As(bad[0], &ce) || ce.ID != 3 || ce.MovedTo == "" || !errors.Is(bad[0], ErrCorrupt) {
		t.Fatalf("report = %#v", bad[0])
	}
	// The move keeps the bytes (records copied forward are only flagged
	// dead, byte 4 of their header).
	if moved, err := os.ReadFile(ce.MovedTo); err != nil || len(moved) != len(b) || !bytes.Equal(moved[offs[2]:offs[3]], b[offs[2]:offs[3]]) {
		t.Fatalf("corrupt file not moved aside intact: %v", err)
	}
	for id := range sums {
		if _, err := s2.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	s2.Close()
	s3 := openSpool(t, dir, SpoolConfig{})
	if sums, bad := scanAll(t, s3); len(sums) != 4 || len(bad) != 0 {
		t.Fatalf("second reopen: %d, %v", len(sums), bad)
	}
}

func TestSpoolCompaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := SpoolConfig{SegmentSize: 4 << 10}
	s := openSpool(t, dir, cfg)
	// One message stays; thousands pass through and are removed.
	if err := s.Put(ctx, testMessage(1, "stuck@example.com")); err != nil {
		t.Fatal(err)
	}
	for id := ID(2); id < 2000; id++ {
		if err := s.Put(ctx, testMessage(id, "a@example.com")); err != nil {
			t.Fatal(err)
		}
		if err := s.Remove(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "seg"))
	if len(ents) > 3 {
		t.Fatalf("%d segments left; compaction should keep a handful", len(ents))
	}
	s.Close()
	s2 := openSpool(t, dir, cfg)
	sums, bad := scanAll(t, s2)
	if len(sums) != 1 || len(bad) != 0 {
		t.Fatalf("recovered %v %v", sums, bad)
	}
	if m, err := s2.Get(ctx, 1); err != nil || m.Envelope.Recipients[0].Addr != "stuck@example.com" {
		t.Fatal(err)
	}
}
