package mailbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newTestMaildir(t *testing.T) *Maildir {
	t.Helper()
	m, err := Open(filepath.Join(t.TempDir(), "Maildir"), Options{Create: true, Host: "test.example"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func deliver(t *testing.T, m *Maildir, folder, body string) string {
	t.Helper()
	key, err := m.Deliver(context.Background(), folder, []byte(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestDeliverAndUIDs(t *testing.T) {
	m := newTestMaildir(t)
	k1 := deliver(t, m, "", "Subject: one\n\nbody\n")
	k2 := deliver(t, m, "", "Subject: two\n\nbody\n")
	if _, err := os.Stat(filepath.Join(m.Root(), "new", k1)); err != nil {
		t.Fatalf("delivered file not in new/: %v", err)
	}
	if sizeField(k1, 'S') != 19 || sizeField(k1, 'W') != 22 {
		t.Errorf("size fields of %q: S=%d W=%d, want 19 and 22", k1, sizeField(k1, 'S'), sizeField(k1, 'W'))
	}
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.Messages()
	got := []string{}
	for _, x := range msgs {
		got = append(got, x.Key)
	}
	if len(msgs) != 2 || msgs[0].UID != 1 || msgs[1].UID != 2 {
		t.Fatalf("messages %+v", msgs)
	}
	if diff := cmp.Diff([]string{k1, k2}, got); diff != "" && !(got[0] == k2 && got[1] == k1) {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	st := f.Status()
	if st.UIDNext != 3 || st.UIDValidity == 0 || st.Repaired {
		t.Errorf("status %+v", st)
	}
	// A second Folder value (as another process would) sees the same UIDs.
	f2, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(uidKeys(msgs), uidKeys(f2.Messages())); diff != "" {
		t.Errorf("second open differs:\n%s", diff)
	}
	// A new delivery gets UID 3; an expunged UID is never reused.
	if err := f.Expunge([]uint32{2}); err != nil {
		t.Fatal(err)
	}
	k3 := deliver(t, m, "", "three\n")
	st, err = f.Sync()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[uint32]string{1: msgs[0].Key, 3: k3}; !cmp.Equal(want, uidKeys(f.Messages())) {
		t.Errorf("after expunge and delivery: %v, want %v", uidKeys(f.Messages()), want)
	}
	if st.UIDNext != 4 {
		t.Errorf("UIDNext %d, want 4", st.UIDNext)
	}
	data, err := f.ReadMessage(3)
	if err != nil || string(data) != "three\n" {
		t.Errorf("ReadMessage(3) = %q, %v", data, err)
	}
	if vs, err := f.VirtualSize(3); err != nil || vs != 7 {
		t.Errorf("VirtualSize(3) = %d, %v", vs, err)
	}
}

func uidKeys(msgs []Message) map[uint32]string {
	out := map[uint32]string{}
	for _, m := range msgs {
		out[m.UID] = m.Key
	}
	return out
}

func TestFlagsAndRecent(t *testing.T) {
	m := newTestMaildir(t)
	key := deliver(t, m, "", "x\n")
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if msg, _ := f.Message(1); !msg.Recent || msg.Flags != 0 {
		t.Fatalf("fresh message %+v", msg)
	}
	out, err := f.SetFlags([]uint32{1}, FlagsAdd, Seen|Flagged)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Recent || out[0].Flags != Seen|Flagged {
		t.Fatalf("after SetFlags %+v", out)
	}
	if _, err := os.Stat(filepath.Join(m.Root(), "cur", key+":2,FS")); err != nil {
		t.Fatalf("file not renamed to cur/...:2,FS: %v", err)
	}
	if _, err := f.SetFlags([]uint32{1}, FlagsRemove, Flagged); err != nil {
		t.Fatal(err)
	}
	f2, _ := m.Inbox()
	if msg, _ := f2.Message(1); msg.Flags != Seen || msg.UID != 1 {
		t.Errorf("other reader sees %+v", msg)
	}
	if got := ParseFlags("SRFa").String(); got != "FRSa" {
		t.Errorf("flags string %q", got)
	}
}

// TestSetFlagsAfterOutsideRename: SetFlags renames by the names the last
// Sync saw; a file another program renamed (or removed) since is found
// by a scan, and its flags are combined with the ones it has now.
func TestSetFlagsAfterOutsideRename(t *testing.T) {
	m := newTestMaildir(t)
	k1 := deliver(t, m, "", "one\n")
	k2 := deliver(t, m, "", "two\n")
	k3 := deliver(t, m, "", "three\n")
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	// Another program: message 2 read and answered (new/ -> cur/ with
	// flags RS), message 3 removed.
	if err := os.Rename(filepath.Join(m.Root(), "new", k2), filepath.Join(m.Root(), "cur", k2+":2,RS")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(m.Root(), "new", k3)); err != nil {
		t.Fatal(err)
	}
	out, err := f.SetFlags([]uint32{1, 2, 3}, FlagsAdd, Flagged)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint32]Flags{}
	for _, msg := range out {
		got[msg.UID] = msg.Flags
	}
	if diff := cmp.Diff(map[uint32]Flags{1: Flagged, 2: Replied | Seen | Flagged}, got); diff != "" {
		t.Errorf("SetFlags -want +got\n%s", diff)
	}
	for _, name := range []string{k1 + ":2,F", k2 + ":2,FRS"} {
		if _, err := os.Stat(filepath.Join(m.Root(), "cur", name)); err != nil {
			t.Errorf("cur/%s: %v", name, err)
		}
	}
}

// TestUIDValidityRecreated: a folder deleted and made again in the same
// second gets a greater UIDVALIDITY (RFC 9051 2.3.1.1), as does a new
// folder of another name; the clock is fixed, so the time alone would
// give all three the same value.
func TestUIDValidityRecreated(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	m, err := Open(filepath.Join(t.TempDir(), "Maildir"), Options{Create: true, Host: "test.example", Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	validity := func(name string) uint32 {
		t.Helper()
		if err := m.CreateFolder(name); err != nil {
			t.Fatal(err)
		}
		f, err := m.Folder(name)
		if err != nil {
			t.Fatal(err)
		}
		return f.Status().UIDValidity
	}
	v1 := validity("Work")
	if err := m.DeleteFolder("Work"); err != nil {
		t.Fatal(err)
	}
	v2 := validity("Work")
	v3 := validity("Other")
	if v1 < uint32(at.Unix()) || v2 <= v1 || v3 <= v2 {
		t.Errorf("UIDVALIDITY %d, after DELETE and CREATE %d, another folder %d: want from %d on, increasing", v1, v2, v3, at.Unix())
	}
}

func TestFolders(t *testing.T) {
	m := newTestMaildir(t)
	for _, n := range []string{"Sent", "Trash", "Archive.2024"} {
		if err := m.CreateFolder(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.CreateFolder("Sent"); !errors.Is(err, ErrFolderExists) {
		t.Errorf("second CreateFolder: %v", err)
	}
	for _, bad := range []string{"", "a..b", ".x", "a/b", "x."} {
		if err := m.CreateFolder(bad); !errors.Is(err, ErrFolderName) {
			t.Errorf("CreateFolder(%q) = %v", bad, err)
		}
	}
	names, err := m.Folders()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"INBOX", "Archive.2024", "Sent", "Trash"}, names); diff != "" {
		t.Errorf("folders:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(m.Root(), ".Archive.2024", "maildirfolder")); err != nil {
		t.Error(err)
	}
	if _, err := m.Deliver(context.Background(), "Sent", []byte("sent\n"), Seen); err != nil {
		t.Fatal(err)
	}
	sent, _ := m.Folder("Sent")
	if msgs := sent.Messages(); len(msgs) != 1 || msgs[0].Recent || msgs[0].Flags != Seen {
		t.Fatalf("Sent: %+v", msgs)
	}
	inbox, _ := m.Inbox()
	deliver(t, m, "", "a\n")
	deliver(t, m, "", "b\n")
	inbox.Sync()
	uids, err := inbox.CopyTo(sent, []uint32{1})
	if err != nil || len(uids) != 1 || uids[0] != 2 {
		t.Fatalf("CopyTo = %v, %v", uids, err)
	}
	trash, _ := m.Folder("Trash")
	uids, err = inbox.MoveTo(trash, []uint32{1, 2, 99})
	if err != nil || !cmp.Equal(uids, []uint32{1, 2, 0}) {
		t.Fatalf("MoveTo = %v, %v", uids, err)
	}
	inbox.Sync()
	if n := len(inbox.Messages()); n != 0 {
		t.Errorf("INBOX has %d after move", n)
	}
	if err := m.RenameFolder("Archive", "Old"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteFolder("Trash"); err != nil {
		t.Fatal(err)
	}
	names, _ = m.Folders()
	if diff := cmp.Diff([]string{"INBOX", "Old.2024", "Sent"}, names); diff != "" {
		t.Errorf("folders after rename/delete:\n%s", diff)
	}
}

func TestUIDListRepair(t *testing.T) {
	m := newTestMaildir(t)
	now := time.Unix(1_700_000_000, 0)
	m.now = func() time.Time { return now }
	deliver(t, m, "", "a\n")
	deliver(t, m, "", "b\n")
	f, _ := m.Inbox()
	v1 := f.Status().UIDValidity
	for _, bad := range []string{
		"garbage\n",
		"1 V5 N2\n1 :a\n2 :b\n", // UID at next
		"1 V5 N9\n2 :a\n1 :b\n", // not ascending
		"1 V5 N9\n1 :a\n2 :a\n", // key twice
		"",                      // empty
	} {
		if err := os.WriteFile(filepath.Join(m.Root(), UIDListFile), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := f.Sync()
		if err != nil {
			t.Fatal(err)
		}
		if !st.Repaired || st.UIDValidity <= v1 || st.Messages != 2 || st.UIDNext != 3 {
			t.Errorf("list %q: status %+v (old validity %d)", bad, st, v1)
		}
		var le *UIDListError
		if !errors.As(st.Reason, &le) {
			t.Errorf("reason %v", st.Reason)
		}
		v1 = st.UIDValidity
		if st, _ := f.Sync(); st.Repaired || st.UIDValidity != v1 {
			t.Errorf("repair not lasting: %+v", st)
		}
	}
}

func TestQuota(t *testing.T) {
	m, err := Open(filepath.Join(t.TempDir(), "M"), Options{Create: true, Quota: Quota{Bytes: 100, Messages: 3}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := m.Deliver(ctx, "", []byte("0123456789\n"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Deliver(ctx, "", []byte("x\n"), 0); !errors.Is(err, ErrQuota) {
		t.Errorf("fourth message: %v, want ErrQuota", err)
	}
	q, u, ok, err := m.QuotaUsage()
	if err != nil || !ok || q != (Quota{100, 3}) || u != (Usage{33, 3}) {
		t.Errorf("QuotaUsage = %v %v %v %v", q, u, ok, err)
	}
	f, _ := m.Inbox()
	if err := f.Expunge([]uint32{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deliver(ctx, "", []byte(strings.Repeat("y", 80)), 0); !errors.Is(err, ErrQuota) {
		t.Errorf("80 bytes over 22 used of 100: %v", err)
	}
	if _, err := m.Deliver(ctx, "", []byte("ok\n"), 0); err != nil {
		t.Errorf("after expunge: %v", err)
	}
}

func TestDeliverBatch(t *testing.T) {
	a, b := newTestMaildir(t), newTestMaildir(t)
	batch := []Delivery{
		{Maildir: a, Data: []byte("1\n")},
		{Maildir: b, Data: []byte("2\n")},
		{Maildir: a, Folder: "No.Such", Data: []byte("3\n")},
	}
	err := DeliverBatch(context.Background(), batch)
	if err == nil || batch[0].Err != nil || batch[1].Err != nil || batch[2].Err == nil {
		t.Fatalf("DeliverBatch: %v; %+v", err, batch)
	}
	for i, m := range []*Maildir{a, b} {
		data, err := os.ReadFile(filepath.Join(m.Root(), "new", batch[i].Key))
		if err != nil || string(data) != []string{"1\n", "2\n"}[i] {
			t.Errorf("delivery %d: %q %v", i, data, err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(a.Root(), "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ not empty: %v", ents)
	}
}

// TestDeliverBatchGroup: a group fails as a whole when one of its files
// cannot be written; the rest of the batch is delivered.
func TestDeliverBatchGroup(t *testing.T) {
	good, bad := newTestMaildir(t), newTestMaildir(t)
	// bad's tmp/ becomes a plain file: creating a file in it fails with
	// ENOTDIR even for root.
	if err := os.RemoveAll(filepath.Join(bad.Root(), "tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad.Root(), "tmp"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	batch := []Delivery{
		{Maildir: good, Data: []byte("alone\n")},
		{Maildir: good, Data: []byte("grouped\n"), Group: 1},
		{Maildir: bad, Data: []byte("grouped\n"), Group: 1},
		{Maildir: good, Data: []byte("other group\n"), Group: 2},
	}
	if err := DeliverBatch(context.Background(), batch); err == nil {
		t.Fatal("DeliverBatch succeeded")
	}
	for i, wantOK := range []bool{true, false, false, true} {
		if (batch[i].Err == nil) != wantOK || (batch[i].Key != "") != wantOK {
			t.Errorf("delivery %d: key %q err %v, want success %v", i, batch[i].Key, batch[i].Err, wantOK)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(good.Root(), "new"))
	if len(ents) != 2 {
		t.Errorf("good has %d files in new/, want 2", len(ents))
	}
	if ents, _ := os.ReadDir(filepath.Join(good.Root(), "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ not empty: %v", ents)
	}
}

func TestVirtualSize(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "a": 1, "a\n": 3, "a\r\n": 3, "\n\n": 4, "a\r\nb\nc": 7} {
		if got := virtualSize([]byte(in)); got != want {
			t.Errorf("virtualSize(%q) = %d, want %d", in, got, want)
		}
		if got, _ := countVirtual(strings.NewReader(in)); got != want {
			t.Errorf("countVirtual(%q) = %d, want %d", in, got, want)
		}
	}
	if got := string(AppendLF(nil, []byte("a\r\nb\r\n"))); got != "a\nb\n" {
		t.Errorf("AppendLF %q", got)
	}
}

func TestStamp(t *testing.T) {
	m := newTestMaildir(t)
	f, _ := m.Inbox()
	s1 := f.Stamp()
	if s1 != f.Stamp() {
		t.Fatal("stamp unstable")
	}
	// Directory mtimes have nanosecond resolution on the file systems
	// tests run on, but be safe: make the change visibly later.
	os.Chtimes(filepath.Join(m.Root(), "new"), time.Now(), time.Now().Add(-time.Hour))
	deliver(t, m, "", "x\n")
	if f.Stamp() == s1 {
		t.Error("stamp unchanged after delivery")
	}
}

func TestDeliverGivenKey(t *testing.T) {
	m := newTestMaildir(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ { // a replay replaces, never duplicates
		b := []Delivery{{Maildir: m, Data: []byte("x\n"), Key: "1700000000.Jabc.host"}}
		if err := DeliverBatch(ctx, b); err != nil || b[0].Key != "1700000000.Jabc.host" {
			t.Fatalf("given key: %v %+v", err, b)
		}
	}
	f, _ := m.Inbox()
	if n := len(f.Messages()); n != 1 {
		t.Errorf("%d messages after a replayed delivery", n)
	}
	date := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	if err := DeliverBatch(ctx, []Delivery{{Maildir: m, Folder: "", Data: []byte("y\n"), Flags: Seen, Date: date}}); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	if msg, _ := f.Message(2); !msg.InternalDate.Equal(date) || msg.Flags != Seen {
		t.Errorf("delivered with a date: %+v", msg)
	}
	for _, bad := range []string{"a/b", "a:2,S", ".hidden"} {
		b := []Delivery{{Maildir: m, Data: []byte("x\n"), Key: bad}}
		if err := DeliverBatch(ctx, b); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}
