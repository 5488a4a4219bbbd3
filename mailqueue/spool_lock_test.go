//go:build unix

package mailqueue

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
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
