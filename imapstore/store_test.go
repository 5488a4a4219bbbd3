package imapstore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
)

// TestQuota: the maildirsize quota is the user's RFC 9208 quota, and a
// maildir without one reports none.
func TestQuota(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "q"), mailbox.Options{Create: true, Quota: mailbox.Quota{Bytes: 100 << 10, Messages: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := md.Deliver(ctx, mailbox.Inbox, make([]byte, 1500), 0); err != nil {
		t.Fatal(err)
	}
	res, ok, err := NewUser(md).(imap.QuotaUser).Quota(ctx)
	want := []imap.QuotaResource{{Name: "STORAGE", Usage: 2, Limit: 100}, {Name: "MESSAGE", Usage: 1, Limit: 10}}
	if diff := cmp.Diff(want, res); diff != "" || !ok || err != nil {
		t.Errorf("quota (ok %v, err %v) -want +got\n%s", ok, err, diff)
	}

	plain, err := mailbox.Open(filepath.Join(t.TempDir(), "p"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if res, ok, err := NewUser(plain).(imap.QuotaUser).Quota(ctx); ok || res != nil || err != nil {
		t.Errorf("no quota: %v %v %v", res, ok, err)
	}
}

// TestReadHeader: ReadHeader stops after the empty line that ends the
// header (a large body is not read), with CRLF line ends, whatever line
// ends the file has; a message without an empty line is read whole.
func TestReadHeader(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "h"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("body line of a large message\n", 40000) // 1.1 MB
	cases := []struct{ stored, header string }{
		{"Subject: a\nFrom: b@example.org\n\n" + big, "Subject: a\r\nFrom: b@example.org\r\n\r\n"},
		{"Subject: a\r\n\r\n" + big, "Subject: a\r\n\r\n"},
		{"Subject: a\n\r\n" + big, "Subject: a\r\n\r\n"},
		{"Subject: " + strings.Repeat("x", 20000) + "\n\nbody\n", "Subject: " + strings.Repeat("x", 20000) + "\r\n\r\n"},
		{"Subject: no body\n", "Subject: no body\r\n"},
	}
	for _, c := range cases {
		if _, err := md.Deliver(ctx, mailbox.Inbox, []byte(c.stored), 0); err != nil {
			t.Fatal(err)
		}
	}
	mb, err := NewUser(md).Select(ctx, "INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	hr := mb.(imap.HeaderReader)
	for i, c := range cases {
		got, err := hr.ReadHeader(ctx, uint32(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(got), c.header) || len(got) > 64<<10 {
			t.Errorf("message %d: %d octets %.60q, want the header %.60q", i+1, len(got), got, c.header)
		}
	}
	if _, err := hr.ReadHeader(ctx, 99); err == nil {
		t.Error("no error for a missing UID")
	}
}

// TestSnapshotReuse: a Snapshot takes over the messages whose files did
// not change since the previous one (their flag lists are the same
// slices), builds the changed ones anew, and never shares its slice of
// messages with the previous Snapshot.
func TestSnapshotReuse(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "r"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := md.Deliver(ctx, mailbox.Inbox, []byte("Subject: x\n\nbody\n"), mailbox.Seen); err != nil {
			t.Fatal(err)
		}
	}
	mb, err := NewUser(md).Select(ctx, "INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := mb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := mb.Store(ctx, []uint32{2}, imap.StoreAdd, []string{`\Flagged`}); err != nil {
		t.Fatal(err)
	}
	s2, err := mb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1.Messages) != 3 || len(s2.Messages) != 3 || &s1.Messages[0] == &s2.Messages[0] {
		t.Fatalf("snapshots %+v %+v", s1.Messages, s2.Messages)
	}
	for i, want := range []bool{true, false, true} {
		same := &s1.Messages[i].Flags[0] == &s2.Messages[i].Flags[0]
		if same != want {
			t.Errorf("message %d: flags reused %v, want %v (%v then %v)", i+1, same, want, s1.Messages[i].Flags, s2.Messages[i].Flags)
		}
	}
	if diff := cmp.Diff([]string{`\Flagged`, `\Seen`}, s2.Messages[1].Flags); diff != "" {
		t.Errorf("changed flags -want +got\n%s", diff)
	}
}

// TestSelectAgainReuses: a second SELECT of a folder (the user's client
// going back to it) takes over the messages of the first Snapshot where
// their files are unchanged, and the Snapshot of a folder deleted and
// made again starts over.
func TestSelectAgainReuses(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "r"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUser(md)
	if err := u.Create(ctx, "Work"); err != nil {
		t.Fatal(err)
	}
	snapOf := func(name string) imap.Snapshot {
		t.Helper()
		mb, err := u.Select(ctx, name, false)
		if err != nil {
			t.Fatal(err)
		}
		defer mb.Close(ctx)
		s, err := mb.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for range 2 {
		msg := "Subject: x\r\n\r\nbody\r\n"
		if _, _, err := u.Append(ctx, "Work", []string{`\Seen`}, time.Time{}, strings.NewReader(msg), int64(len(msg))); err != nil {
			t.Fatal(err)
		}
	}
	s1 := snapOf("Work")
	s2 := snapOf("Work")
	if len(s1.Messages) != 2 || len(s2.Messages) != 2 || &s1.Messages[0] != &s2.Messages[0] {
		t.Fatalf("second SELECT built the messages anew: %+v, %+v", s1.Messages, s2.Messages)
	}
	if err := u.Delete(ctx, "Work"); err != nil {
		t.Fatal(err)
	}
	if err := u.Create(ctx, "Work"); err != nil {
		t.Fatal(err)
	}
	if s3 := snapOf("Work"); len(s3.Messages) != 0 {
		t.Fatalf("after DELETE and CREATE: %+v", s3.Messages)
	}
}

// TestAppendSnapshot: the Snapshot right after an APPEND into the
// selected folder holds the new message without scanning the folder;
// the next one scans and finds what another program delivered.
func TestAppendSnapshot(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "a"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUser(md)
	mb, err := u.Select(ctx, "INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := mb.Snapshot(ctx); err != nil || len(s.Messages) != 0 {
		t.Fatalf("empty: %+v %v", s, err)
	}
	if _, err := md.Deliver(ctx, mailbox.Inbox, []byte("Subject: other\n\nx\n"), 0); err != nil {
		t.Fatal(err)
	}
	msg := "Subject: mine\r\n\r\nbody\r\n"
	_, uid, err := u.Append(ctx, "INBOX", []string{`\Seen`}, time.Time{}, strings.NewReader(msg), int64(len(msg)))
	if err != nil || uid != 1 {
		t.Fatalf("append: uid %d, %v", uid, err)
	}
	uids := func() []uint32 {
		s, err := mb.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint32
		for _, m := range s.Messages {
			out = append(out, m.UID)
		}
		return out
	}
	if diff := cmp.Diff([]uint32{1}, uids()); diff != "" {
		t.Errorf("after APPEND -want +got\n%s", diff)
	}
	if diff := cmp.Diff([]uint32{1, 2}, uids()); diff != "" {
		t.Errorf("next snapshot -want +got\n%s", diff)
	}
}

// TestAppendSnapshotExtends: the Snapshots that answer a run of APPENDs
// extend the previous one instead of rebuilding it; each equals what a
// new session sees, and the snapshots handed out before stay as they
// were.
func TestAppendSnapshotExtends(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "a"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := md.Deliver(ctx, mailbox.Inbox, fmt.Appendf(nil, "Subject: %d\n\nx\n", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	u := NewUser(md)
	mb, err := u.Select(ctx, "INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() []imap.Message {
		mb2, err := NewUser(md).Select(ctx, "INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		s, err := mb2.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s.Messages
	}
	var held [][]imap.Message
	var copies [][]imap.Message
	snap := func() []imap.Message {
		s, err := mb.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s.Messages)
		copies = append(copies, slices.Clone(s.Messages))
		return s.Messages
	}
	snap()
	for i, flags := range [][]string{nil, {`\Seen`}, {`\Flagged`, `\Answered`}} {
		msg := fmt.Sprintf("Subject: appended %d\r\n\r\nbody\r\n", i)
		if _, _, err := u.Append(ctx, "INBOX", flags, time.Time{}, strings.NewReader(msg), int64(len(msg))); err != nil {
			t.Fatal(err)
		}
		got := snap()
		if len(got) != 4+i {
			t.Fatalf("after APPEND %d: %d messages", i, len(got))
		}
		if diff := cmp.Diff(fresh(), got); diff != "" {
			t.Fatalf("after APPEND %d -fresh session +this one\n%s", i, diff)
		}
	}
	if err := mb.Store(ctx, []uint32{5}, imap.StoreAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	got := snap()
	if diff := cmp.Diff(fresh(), got); diff != "" {
		t.Fatalf("after STORE -fresh session +this one\n%s", diff)
	}
	msg := "Subject: last\r\n\r\nbody\r\n"
	if _, _, err := u.Append(ctx, "INBOX", nil, time.Time{}, strings.NewReader(msg), int64(len(msg))); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fresh(), snap()); diff != "" {
		t.Fatalf("after STORE and APPEND -fresh session +this one\n%s", diff)
	}
	for i := range held {
		if diff := cmp.Diff(copies[i], held[i]); diff != "" {
			t.Errorf("snapshot %d changed after it was handed out -then +now\n%s", i, diff)
		}
	}
}

// TestIdleFoldersLetGo: folders opened and closed again (as STATUS of
// every folder does) are kept only up to keepIdle, the ones used last;
// a selected folder is kept however many others are opened, with its
// last Snapshot; a folder let go opens again as it was.
func TestIdleFoldersLetGo(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "r"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUser(md)
	s := u.(*imapStore)
	msg := "Subject: x\r\n\r\nbody\r\n"
	if _, _, err := u.Append(ctx, "INBOX", nil, time.Time{}, strings.NewReader(msg), int64(len(msg))); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		name := fmt.Sprintf("F%d", i)
		if err := u.Create(ctx, name); err != nil {
			t.Fatal(err)
		}
		if _, _, err := u.Append(ctx, name, nil, time.Time{}, strings.NewReader(msg), int64(len(msg))); err != nil {
			t.Fatal(err)
		}
	}
	inbox, err := u.Select(ctx, "INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	first, err := inbox.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status := func(name string) imap.Snapshot {
		t.Helper()
		mb, err := u.Select(ctx, name, true)
		if err != nil {
			t.Fatal(err)
		}
		defer mb.Close(ctx)
		snap, err := mb.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	for round := range 2 {
		for i := range 10 {
			if snap := status(fmt.Sprintf("F%d", i)); len(snap.Messages) != 1 {
				t.Fatalf("round %d, F%d: %d messages, want 1", round, i, len(snap.Messages))
			}
		}
	}
	s.mu.Lock()
	var open []string
	for name := range s.folders {
		open = append(open, name)
	}
	s.mu.Unlock()
	slices.Sort(open)
	if diff := cmp.Diff([]string{"F6", "F7", "F8", "F9", "INBOX"}, open); diff != "" {
		t.Errorf("open folders (-want +got):\n%s", diff)
	}
	again, err := inbox.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !sameArray(first.Messages, again.Messages) {
		t.Errorf("the selected INBOX lost its last Snapshot")
	}
	inbox.Close(ctx)
	inbox.Close(ctx) // a second Close changes nothing
	s.mu.Lock()
	n := len(s.folders)
	s.mu.Unlock()
	if n != keepIdle {
		t.Errorf("%d folders open after the last selection closed, want %d", n, keepIdle)
	}
}

// sameArray reports whether a and b, both not empty, are the same
// array.
func sameArray(a, b []imap.Message) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}
