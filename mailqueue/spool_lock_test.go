//go:build unix

package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestSpoolLocked: a second Spool on a directory in use is refused with a
// typed error, and the directory is free again after Close.
func TestSpoolLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenSpool(dir, SpoolConfig{})
	var le *LockedError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) || le.Dir != dir {
		t.Fatalf("second OpenSpool: %v, want a *LockedError for %s", err, dir)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenSpool(dir, SpoolConfig{})
	if err != nil {
		t.Fatalf("OpenSpool after Close: %v", err)
	}
	s2.Close()
}

// TestSpoolLockedOtherProcess: a spool open here cannot be opened by
// another process (this test binary run again), which reports the typed
// error through its exit code.
func TestSpoolLockedOtherProcess(t *testing.T) {
	if dir := os.Getenv("MAILQUEUE_LOCK_CHILD"); dir != "" {
		_, err := OpenSpool(dir, SpoolConfig{})
		var le *LockedError
		if errors.As(err, &le) && le.Dir == dir {
			os.Exit(3)
		}
		fmt.Fprintln(os.Stderr, "child OpenSpool:", err)
		os.Exit(4)
	}
	dir := t.TempDir()
	s, err := OpenSpool(dir, SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestSpoolLockedOtherProcess$")
	cmd.Env = append(os.Environ(), "MAILQUEUE_LOCK_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child: %v, want exit 3 (LockedError); output:\n%s", err, out)
	}
}

// TestSpoolLeasesAfterRecovery: messages a reopened spool recovers can be
// claimed when due, and held ones cannot.
func TestSpoolLeasesAfterRecovery(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openSpool(t, dir, SpoolConfig{})
	due := time.Unix(1700000000, 0)
	a, b := testMessage(1, "x@example.com"), testMessage(2, "y@example.com")
	b.State.Held = true
	for _, m := range []*Message{a, b} {
		m.State.NextAttempt = due
		if err := s.Put(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s2 := openSpool(t, dir, SpoolConfig{})
	ls, err := s2.Claim(ctx, "n", due, 10, time.Minute)
	if err != nil || len(ls) != 1 || ls[0].ID != 1 {
		t.Fatalf("Claim after recovery = %+v, %v; want message 1 only", ls, err)
	}
}
