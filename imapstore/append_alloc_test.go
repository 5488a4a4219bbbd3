package imapstore

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailbox"
)

// TestAppendSnapshotBytes: an APPEND into the selected folder and the
// Snapshot that answers it allocate about as much into 2,000 messages
// as into 20 (the snapshot is extended, not rebuilt or copied; rebuilt,
// 2,000 messages cost about 340 KB per APPEND).
func TestAppendSnapshotBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("delivers 2,000 messages")
	}
	perAppend := func(n int) uint64 {
		ctx := context.Background()
		md, err := mailbox.Open(filepath.Join(t.TempDir(), fmt.Sprint(n)), mailbox.Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		var batch []mailbox.Delivery
		for i := range n {
			batch = append(batch, mailbox.Delivery{Maildir: md, Data: fmt.Appendf(nil, "Subject: %d\n\nx\n", i)})
		}
		if err := mailbox.DeliverBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		u := NewUser(md)
		mb, err := u.Select(ctx, "INBOX", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mb.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		msg := "Subject: appended\r\n\r\nbody\r\n"
		const runs = 50
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			if _, _, err := u.Append(ctx, "INBOX", nil, time.Time{}, strings.NewReader(msg), int64(len(msg))); err != nil {
				t.Fatal(err)
			}
			s, err := mb.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Messages) < n+1 {
				t.Fatalf("%d messages after APPEND into %d", len(s.Messages), n)
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / runs
	}
	small, large := perAppend(20), perAppend(2000)
	t.Logf("bytes per APPEND and Snapshot: %d into 20 messages, %d into 2,000", small, large)
	if large > small+32<<10 {
		t.Errorf("APPEND and Snapshot into 2,000 messages allocate %d bytes, into 20 %d: grows with the folder", large, small)
	}
}
