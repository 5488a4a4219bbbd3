package mailbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSyncUnchangedSkipsMerge: a folder written within the last two
// seconds is scanned by every Sync; when the listings and the UID list
// are as the last scan left them, the names are not parsed and nothing
// is merged.
func TestSyncUnchangedSkipsMerge(t *testing.T) {
	m := newTestMaildir(t)
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := range n {
		if _, err := f.Deliver(context.Background(), []byte(fmt.Sprintf("Subject: %d\n\nx\n", i)), 0, m.now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	want, gen := f.Messages(), f.Generation()
	allocs := testing.AllocsPerRun(5, func() {
		f.mu.Lock()
		f.clean = false // as within two seconds of a change
		f.mu.Unlock()
		if _, err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	})
	// A merge makes a string per name and a map of them (over 1,000
	// allocations here); the unchanged path makes about 20 (paths,
	// the lock, the list's stat).
	if allocs > 100 {
		t.Errorf("Sync of an unchanged folder: %.0f allocations, want the unchanged path (<= 100)", allocs)
	}
	if diff := cmp.Diff(want, f.Messages(), cmp.AllowUnexported(Message{})); diff != "" {
		t.Errorf("messages changed (-want +got):\n%s", diff)
	}
	if g := f.Generation(); g != gen {
		t.Errorf("Generation %d after Syncs that found nothing new, want %d as before", g, gen)
	}

	// The Folder's own changes (a flag change renames files) leave it
	// knowing what the directories hold: the Sync after them merges
	// nothing either.
	uids := make([]uint32, 100)
	for i := range uids {
		uids[i] = want[i].UID
	}
	flag := func(how FlagOp) {
		if _, err := f.SetFlags(uids, how, Flagged); err != nil {
			t.Fatal(err)
		}
	}
	sync := func() {
		f.mu.Lock()
		f.clean = false
		f.mu.Unlock()
		if _, err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	alone := testing.AllocsPerRun(3, func() { flag(FlagsAdd); flag(FlagsRemove) })
	synced := testing.AllocsPerRun(3, func() { flag(FlagsAdd); sync(); flag(FlagsRemove); sync() })
	if extra := synced - alone; extra > 100 {
		t.Errorf("a Sync after SetFlags: %.0f allocations more than SetFlags alone, want the unchanged path (<= 50 each)", extra)
	}
}

// TestSyncSeesOutsideChanges: whatever another process does between
// two Syncs (deliver, rename for flags, move new/ to cur/, remove,
// rewrite the UID list by an expunge, lose it), the kept Folder ends as a Folder
// opened anew sees the Maildir.
func TestSyncSeesOutsideChanges(t *testing.T) {
	m := newTestMaildir(t)
	other, err := Open(m.Root(), Options{Host: "other.example"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	of, err := other.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	files := func() []string {
		var out []string
		for _, sub := range []string{"new", "cur"} {
			names, _ := filepath.Glob(filepath.Join(m.Root(), sub, "*"))
			out = append(out, names...)
		}
		return out
	}
	before, gen := f.Messages(), f.Generation()
	for step := range 300 {
		what := rng.IntN(10)
		fs := files()
		if len(fs) == 0 && what >= 1 && what <= 3 || what == 7 && len(fs) == 0 {
			what = 0 // nothing to rename or remove: deliver
		}
		switch {
		case what == 0:
			if _, err := other.Deliver(ctx, "", []byte(fmt.Sprintf("step %d\n", step)), 0); err != nil {
				t.Fatal(err)
			}
		case what == 1: // a flag change by another program
			p := fs[rng.IntN(len(fs))]
			key, _ := splitName(filepath.Base(p))
			if err := os.Rename(p, filepath.Join(m.Root(), "cur", key+":2,"+string("FRS"[rng.IntN(3)]))); err != nil {
				t.Fatal(err)
			}
		case what == 2: // a reader taking a message into cur/
			p := fs[rng.IntN(len(fs))]
			if err := os.Rename(p, filepath.Join(m.Root(), "cur", filepath.Base(p))); err != nil {
				t.Fatal(err)
			}
		case what == 3: // removed outside
			if err := os.Remove(fs[rng.IntN(len(fs))]); err != nil {
				t.Fatal(err)
			}
		case what == 4: // another process expunges (rewrites the list)
			if _, err := of.Sync(); err != nil {
				t.Fatal(err)
			}
			if msgs := of.Messages(); len(msgs) > 0 {
				if err := of.Expunge([]uint32{msgs[rng.IntN(len(msgs))].UID}); err != nil {
					t.Fatal(err)
				}
			}
		case what == 5: // another process delivers through its Folder
			if _, err := of.Deliver(ctx, []byte("folder delivery\n"), Seen, other.now()); err != nil {
				t.Fatal(err)
			}
		case what == 6: // the UID list lost, made anew by another process
			if err := os.Remove(filepath.Join(m.Root(), UIDListFile)); err != nil {
				t.Fatal(err)
			}
			if _, err := of.Sync(); err != nil {
				t.Fatal(err)
			}
		case what == 8: // the kept Folder's own flag change
			if msgs := f.Messages(); len(msgs) > 0 {
				if _, err := f.SetFlags([]uint32{msgs[rng.IntN(len(msgs))].UID}, FlagsAdd, []Flags{Draft, Flagged, Replied, Seen, Trashed}[rng.IntN(5)]); err != nil {
					t.Fatal(err)
				}
			}
		case what == 9: // the kept Folder's own delivery
			if _, err := f.Deliver(ctx, []byte("own delivery\n"), 0, m.now()); err != nil {
				t.Fatal(err)
			}
		default: // nothing changed
		}
		st, err := f.Sync()
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := other.Inbox()
		if err != nil {
			t.Fatal(err)
		}
		if want := fresh.Status(); st != want {
			t.Fatalf("step %d (change %d): status %+v, a new Folder has %+v", step, what, st, want)
		}
		if diff := cmp.Diff(fresh.Messages(), f.Messages(), cmp.AllowUnexported(Message{})); diff != "" {
			t.Fatalf("step %d (change %d): kept Folder differs from a new one (-new +kept):\n%s", step, what, diff)
		}
		// Generation moves when the messages did, and stays when
		// nothing changed.
		now, g := f.Messages(), f.Generation()
		moved := !cmp.Equal(before, now, cmp.AllowUnexported(Message{}))
		if moved && g == gen || what == 7 && g != gen {
			t.Fatalf("step %d (change %d): messages changed %v, Generation %d -> %d", step, what, moved, gen, g)
		}
		before, gen = now, g
	}
}
