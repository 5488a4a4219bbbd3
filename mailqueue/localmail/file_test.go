package localmail

import (
	"strings"
	"testing"
)

func TestAppendFile(t *testing.T) {
	got := string(appendFile(nil, "a@x.test", "bob@y.test", []byte("Subject: s\r\n\r\nline\r\nbare\rcr\r\nlast")))
	want := "Return-Path: <a@x.test>\nDelivered-To: bob@y.test\nSubject: s\n\nline\nbare\rcr\nlast"
	if got != want {
		t.Errorf("appendFile = %q, want %q", got, want)
	}
}

// TestAppendFileAllocs holds the maildir file builder to zero allocations
// once its (pooled) buffer is large enough.
func TestAppendFileAllocs(t *testing.T) {
	msg := []byte(strings.Repeat("a line of a 4 KiB message body, as smtp-source sends\r\n", 80))
	buf := make([]byte, 0, 8<<10)
	if n := testing.AllocsPerRun(100, func() {
		buf = appendFile(buf[:0], "load@source.test", "bob@relay.test", msg)
	}); n != 0 {
		t.Errorf("appendFile: %v allocs/op, want 0", n)
	}
}
