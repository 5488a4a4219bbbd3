package localmail

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailbox"
)

// TestDeliverHoldsMessageOnce: a 4 MB message to 50 recipients is
// converted once, not once per recipient (the relay's memory peaked at
// about 350 MB for it).
func TestDeliverHoldsMessageOnce(t *testing.T) {
	md := NewWriter(&Mailboxes{Root: t.TempDir(), Options: mailbox.Options{Host: "mx.test", Now: time.Now}})
	defer md.Close()
	msg := append([]byte("Subject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\r\n"), 4<<20/64)...)
	var rcpts []string
	for i := range 50 {
		rcpts = append(rcpts, "u"+strconv.Itoa(i)+"@local.test")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := md.Deliver(context.Background(), "a@remote.test", rcpts, msg); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*uint64(len(msg)) {
		t.Errorf("delivering %d bytes to %d recipients allocated %d MB, want at most 3 copies", len(msg), len(rcpts), alloc>>20)
	}
	got, err := md.mb.Messages("u49@local.test")
	if err != nil || len(got) != 1 || len(got[0]) != len(appendFile(nil, "a@remote.test", "u49@local.test", msg)) {
		t.Fatalf("last mailbox: %d messages, %v", len(got), err)
	}
}
