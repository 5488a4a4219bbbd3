package mailbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestUIDListStat: the UID list keeps each file's size and time, so a
// new Folder takes them from the list (no stat per file); a list
// without them (an older version's) is read and completed.
func TestUIDListStat(t *testing.T) {
	m := newTestMaildir(t)
	k := deliver(t, m, "", "Subject: one\n\nbody\n")
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := f.Message(1)
	list := filepath.Join(m.Root(), UIDListFile)
	data, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	want := "1 S19 T" + itoa64(msg.InternalDate.UnixNano()) + " :" + k + "\n"
	if !strings.HasSuffix(string(data), want) {
		t.Fatalf("list %q lacks %q", data, want)
	}

	// A new Folder believes the list: a time written there is the one
	// it reports.
	fake := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	header, _, _ := strings.Cut(string(data), "\n")
	os.WriteFile(list, []byte(header+"\n1 S19 T"+itoa64(fake.UnixNano())+" :"+k+"\n"), 0o600)
	f2, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f2.Message(1); !got.InternalDate.Equal(fake) || got.Size != 19 {
		t.Errorf("from the list: %v %d, want %v 19", got.InternalDate, got.Size, fake)
	}

	// The older form: stat, and the list is completed.
	os.WriteFile(list, []byte(header+"\n1 :"+k+"\n"), 0o600)
	f3, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f3.Message(1); !got.InternalDate.Equal(msg.InternalDate) || got.UID != 1 || f3.Status().Repaired {
		t.Errorf("older list: %+v %+v", got, f3.Status())
	}
	if data, _ := os.ReadFile(list); !strings.HasSuffix(string(data), want) {
		t.Errorf("list not completed: %q", data)
	}

	// Unknown extension fields are skipped; bad numbers are refused.
	if l, _, err := parseUIDList("x", []byte("1 V5 N3\n1 G12ab S4 T5 :a\n")); err != nil || l.entries[0].size != 4 || !l.entries[0].stat {
		t.Errorf("unknown field: %+v %v", l, err)
	}
	if _, _, err := parseUIDList("x", []byte("1 V5 N3\n1 Sx T5 :a\n")); err == nil {
		t.Error("bad size accepted")
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestSyncSkipsUnchanged: a Sync finds nothing to do while new/, cur/
// and the UID list keep their times (older than two seconds), and scans
// again as soon as one changes.
func TestSyncSkipsUnchanged(t *testing.T) {
	m := newTestMaildir(t)
	deliver(t, m, "", "Subject: one\n\nbody\n")
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	backdate := func() {
		for _, p := range []string{"new", "cur", UIDListFile} {
			if err := os.Chtimes(filepath.Join(m.Root(), p), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	backdate()
	if st, _ := f.Sync(); st.Messages != 1 {
		t.Fatalf("%+v", st)
	}
	// A file slipped into new/ without new/'s time moving is not seen:
	// proof that the scan was skipped.
	name := filepath.Join(m.Root(), "new", "1700000000.M1P1.host")
	if err := os.WriteFile(name, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := f.Generation()
	backdate()
	if st, _ := f.Sync(); st.Messages != 1 {
		t.Fatalf("scan not skipped: %+v", st)
	}
	if f.Generation() != g {
		t.Error("Generation changed by a Sync that did nothing")
	}
	// Any change of time: scanned.
	now := time.Now()
	os.Chtimes(filepath.Join(m.Root(), "new"), now, now)
	if st, _ := f.Sync(); st.Messages != 2 {
		t.Fatalf("change not seen: %+v", st)
	}
	if f.Generation() == g {
		t.Error("Generation kept by a Sync that found a message")
	}
	// A recent time is never trusted: a change that keeps it is seen.
	os.WriteFile(name+"2", []byte("y\n"), 0o600)
	os.Chtimes(filepath.Join(m.Root(), "new"), now, now)
	if st, _ := f.Sync(); st.Messages != 3 {
		t.Fatalf("change under a recent time not seen: %+v", st)
	}
}
