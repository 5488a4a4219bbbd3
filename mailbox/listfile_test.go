package mailbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// listFileState returns the UID list's inode and contents.
func listFileState(t *testing.T, dir string) (int64, string) {
	t.Helper()
	path := filepath.Join(dir, UIDListFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return inode(fi), string(data)
}

// TestFolderDeliverAppends: Folder.Deliver gives the next UID at once
// and appends one record to the UID list (the same file, header
// untouched: no rewrite); another Folder value (as another process)
// reads the records and agrees; a Sync of new files by other programs
// appends too; an expunge compacts the list and no UID is reused.
func TestFolderDeliverAppends(t *testing.T) {
	m := newTestMaildir(t)
	ctx := context.Background()
	deliver(t, m, "", "Subject: first\n\nbody\n")
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	ino0, list0 := listFileState(t, m.Root())
	date := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	var got []Message
	for i, flags := range []Flags{0, Seen | Flagged, 0} {
		msg, err := f.Deliver(ctx, fmt.Appendf(nil, "Subject: %d\n\nbody\n", i), flags, date)
		if err != nil {
			t.Fatal(err)
		}
		if msg.UID != uint32(i+2) || msg.Flags != flags || msg.Recent != (flags == 0) || !msg.InternalDate.Equal(date) || msg.Size != 17 {
			t.Errorf("Deliver %d: %+v", i, msg)
		}
		got = append(got, msg)
	}
	if st := f.Status(); st.Messages != 4 || st.UIDNext != 5 {
		t.Errorf("status %+v", st)
	}
	ino1, list1 := listFileState(t, m.Root())
	if ino1 != ino0 || !strings.HasPrefix(list1, list0) {
		t.Fatalf("list rewritten, not appended:\n%q\nthen\n%q", list0, list1)
	}
	added := strings.Split(strings.TrimSuffix(list1[len(list0):], "\n"), "\n")
	if len(added) != 3 || !strings.HasPrefix(added[0], "+2 S17 T") || !strings.HasSuffix(added[2], ":"+got[2].Key) {
		t.Errorf("appended records %q", added)
	}

	// Another Folder value reads the records.
	f2, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if got2 := f2.Messages(); len(got2) != 4 || got2[3].UID != 4 || got2[3].Key != got[2].Key || !got2[1].InternalDate.Equal(date) {
		t.Errorf("second folder: %+v", got2)
	}
	// A file delivered by another program is appended by a Sync; f2's
	// own Deliver comes after, and f reads both from the tail.
	k5 := deliver(t, m, "", "five\n")
	if st, err := f2.Sync(); err != nil || st.Messages != 5 {
		t.Fatalf("sync: %+v %v", st, err)
	}
	msg6, err := f2.Deliver(ctx, []byte("six\n"), 0, time.Time{})
	if err != nil || msg6.UID != 6 {
		t.Fatalf("f2 deliver: %+v %v", msg6, err)
	}
	if ino, _ := listFileState(t, m.Root()); ino != ino0 {
		t.Error("list rewritten by a Sync that only added")
	}
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if keys := uidKeys(f.Messages()); keys[5] != k5 || keys[6] != msg6.Key || len(keys) != 6 {
		t.Errorf("first folder after the other's appends: %v", keys)
	}

	// Expunging the last two compacts the list; their UIDs stay used.
	if err := f.Expunge([]uint32{5, 6}); err != nil {
		t.Fatal(err)
	}
	ino2, list2 := listFileState(t, m.Root())
	if ino2 == ino0 || strings.Contains(list2, "\n+") || !strings.Contains(list2, " N7\n") {
		t.Errorf("after expunge, list not compacted: %q", list2)
	}
	msg, err := f2.Deliver(ctx, []byte("seven\n"), 0, time.Time{})
	if err != nil || msg.UID != 7 {
		t.Errorf("after expunge: %+v %v", msg, err)
	}
	if data, err := f.ReadMessage(7); err == nil {
		t.Errorf("f sees 7 before a Sync: %q", data)
	}
	f.Sync()
	if data, err := f.ReadMessage(7); err != nil || string(data) != "seven\n" {
		t.Errorf("ReadMessage(7) = %q, %v", data, err)
	}
}

// TestUIDListTornTail: an append cut short by a crash (a last line
// without its newline) is dropped at open without a repair, and the
// next append replaces it.
func TestUIDListTornTail(t *testing.T) {
	m := newTestMaildir(t)
	ctx := context.Background()
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Deliver(ctx, []byte("one\n"), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	v := f.Status().UIDValidity
	path := filepath.Join(m.Root(), UIDListFile)
	for _, torn := range []string{"+2 S4 T17", "+2 S4 T1700000000000000000 :17000", "\x00\x00\x00\x00\x00"} {
		_, before := listFileState(t, m.Root())
		if err := os.WriteFile(path, []byte(before+torn), 0o600); err != nil {
			t.Fatal(err)
		}
		g, err := m.Inbox()
		if err != nil {
			t.Fatal(err)
		}
		if st := g.Status(); st.Repaired || st.UIDValidity != v {
			t.Errorf("torn %q: %+v", torn, st)
		}
		msg, err := g.Deliver(ctx, []byte("more\n"), 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		_, after := listFileState(t, m.Root())
		if strings.Contains(after, torn) || !strings.HasPrefix(after, before+"+") {
			t.Errorf("torn %q not replaced: %q", torn, after)
		}
		l, good, err := parseUIDList(path, []byte(after))
		if err != nil || good != len(after) || l.next != msg.UID+1 {
			t.Errorf("torn %q: after the append %v, %d of %d octets, next %d (uid %d)", torn, err, good, len(after), l.next, msg.UID)
		}
	}
}

// TestUIDListAppendedRecords: the parser's rules for appended records.
func TestUIDListAppendedRecords(t *testing.T) {
	for _, c := range []struct {
		in   string
		next uint32 // 0: an error
		n    int
	}{
		{"1 V5 N3\n1 :a\n+3 :b\n+9 S1 T2 :c\n", 10, 3},
		{"1 V5 N30\n1 :a\n+3 :b\n", 30, 2},                       // the header's N still holds
		{"1 V5 N3\n+3 :a\n+4 :b\ntorn", 5, 2},                    // torn tail dropped
		{"1 V5 N3\n1 :a\r\n+3 :b\r\n", 4, 2},                     // CRLF lines
		{"1 V5 N3\n+3 :b\n1 :a\n", 0, 0},                         // rewrite record after an appended one
		{"1 V5 N3\n1 :a\n+1 :b\n", 0, 0},                         // not ascending
		{"1 V5 N3\n1 :a\n+4 :a\n", 0, 0},                         // key twice
		{"1 V5 N3\n+4294967295 :a\n", 0, 0},                      // no next UID after it
		{"1 V5 N3\n++4 :a\n", 0, 0},                              // bad number
		{"1 V5 N3\n+4 :a:2,S\n", 0, 0},                           // flags in the key
		{"1 V5 N3", 0, 0},                                        // no whole line
		{"1 V5 N3\n" + strings.Repeat("x", 70<<10) + "\n", 0, 0}, // too long
	} {
		l, _, err := parseUIDList("x", []byte(c.in))
		if c.next == 0 {
			if err == nil {
				t.Errorf("%.40q accepted", c.in)
			}
			continue
		}
		if err != nil || l.next != c.next || len(l.entries) != c.n {
			t.Errorf("%q: %+v %v", c.in, l, err)
			continue
		}
		if l2, _, err := parseUIDList("x", l.marshal()); err != nil || l2.next != l.next || len(l2.entries) != len(l.entries) {
			t.Errorf("%q: rewrite %q: %v", c.in, l.marshal(), err)
		}
	}
}

// TestFolderDeliverConstantCost: what Folder.Deliver allocates does not
// grow with the folder (it neither reads the list whole nor scans the
// directories), and the list grows by one record each time.
func TestFolderDeliverConstantCost(t *testing.T) {
	if testing.Short() {
		t.Skip("delivers 2,000 messages")
	}
	ctx := context.Background()
	allocs := func(n int) float64 {
		m := newTestMaildir(t)
		for i := 0; i < n; i += 500 { // each file of a batch is open at once
			var batch []Delivery
			for j := i; j < min(i+500, n); j++ {
				batch = append(batch, Delivery{Maildir: m, Data: fmt.Appendf(nil, "Subject: %d\n\nbody\n", j)})
			}
			if err := DeliverBatch(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		f, err := m.Inbox()
		if err != nil {
			t.Fatal(err)
		}
		data := []byte("Subject: x\n\nbody\n")
		_, before := listFileState(t, m.Root())
		a := testing.AllocsPerRun(10, func() {
			if _, err := f.Deliver(ctx, data, 0, time.Time{}); err != nil {
				t.Fatal(err)
			}
		})
		_, after := listFileState(t, m.Root())
		if recs := bytes.Count([]byte(after[len(before):]), []byte("\n")); !strings.HasPrefix(after, before) || recs != 11 { // AllocsPerRun runs it once more to warm up
			t.Errorf("%d messages: %d records appended", n, recs)
		}
		return a
	}
	small, large := allocs(20), allocs(2000)
	t.Logf("allocs per Folder.Deliver: %.0f into 20 messages, %.0f into 2,000", small, large)
	// Budget: DeliverBatch's file work, one record, one Message.
	const budget = 64
	if small > budget || large > budget || large > small+4 {
		t.Errorf("Folder.Deliver allocates %.0f (20 messages) and %.0f (2,000), budget %d", small, large, budget)
	}
}

// TestAppended: Appended reports what Folder.Deliver added since a
// Generation, and refuses once anything else changed the list.
func TestAppended(t *testing.T) {
	ctx := context.Background()
	m := newTestMaildir(t)
	deliver(t, m, Inbox, "one\n")
	f, err := m.Folder(Inbox)
	if err != nil {
		t.Fatal(err)
	}
	gen := f.Generation()
	n := len(f.Messages())
	if added, now, ok := f.Appended(gen, n); !ok || len(added) != 0 || now != gen {
		t.Fatalf("Appended with nothing new = %v, %d, %v", added, now, ok)
	}
	a, err := f.Deliver(ctx, []byte("two\n"), 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Deliver(ctx, []byte("three\n"), Seen, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	added, now, ok := f.Appended(gen, n)
	if !ok || now != f.Generation() {
		t.Fatalf("Appended after two Delivers: ok %v, now %d (Generation %d)", ok, now, f.Generation())
	}
	if diff := cmp.Diff([]uint32{a.UID, b.UID}, uids(added)); diff != "" {
		t.Fatalf("Appended UIDs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(uids(f.Messages()[n:]), uids(added)); diff != "" {
		t.Fatalf("Appended is not the tail of Messages (-want +got):\n%s", diff)
	}
	// From the newer point, nothing was added.
	if more, _, ok := f.Appended(now, n+2); !ok || len(more) != 0 {
		t.Fatalf("Appended from now = %v, %v", more, ok)
	}
	// A flag change is not an append: every earlier point is refused.
	if _, err := f.SetFlags([]uint32{a.UID}, FlagsAdd, Flagged); err != nil {
		t.Fatal(err)
	}
	for _, g := range []uint64{gen, now} {
		if _, _, ok := f.Appended(g, n); ok {
			t.Fatalf("Appended(%d) after SetFlags: ok", g)
		}
	}
	// A Sync that finds another program's file is not an append either.
	gen, n = f.Generation(), len(f.Messages())
	if _, _, ok := f.Appended(gen, n); !ok {
		t.Fatal("Appended refused right after Generation")
	}
	deliver(t, m, Inbox, "four\n")
	os.Chtimes(filepath.Join(f.Dir(), "new"), time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if len(f.Messages()) != n+1 {
		t.Fatalf("Sync found %d messages, want %d", len(f.Messages()), n+1)
	}
	if _, _, ok := f.Appended(gen, n); ok {
		t.Fatal("Appended after a scanning Sync: ok")
	}
	// A length the caller never saw is refused.
	if _, _, ok := f.Appended(f.Generation(), len(f.Messages())+1); ok {
		t.Fatal("Appended past the end: ok")
	}
}

func uids(msgs []Message) []uint32 {
	var u []uint32
	for _, m := range msgs {
		u = append(u, m.UID)
	}
	return u
}
