package mailbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMultiProcess runs a deliverer and two readers as separate
// processes (this test binary re-executed) on one maildir. The readers
// sync in a loop, move some messages from new/ to cur/ with flags, and
// print every (UID, key) pair they see. No key may get two UIDs, no UID
// two keys, and every delivered message must end up listed once.
//
// It runs twice: the deliverer uses Maildir.Deliver (the readers give
// the UIDs) and then Folder.Deliver (the deliverer gives them, with an
// appended record, while the readers scan and append too).
func TestMultiProcess(t *testing.T) {
	if os.Getenv("MAILBOX_HELPER") != "" {
		t.Skip("helper process")
	}
	for _, via := range []string{"maildir", "folder"} {
		t.Run(via, func(t *testing.T) { testMultiProcess(t, via) })
	}
}

func testMultiProcess(t *testing.T, via string) {
	const n = 300
	dir := filepath.Join(t.TempDir(), "Maildir")
	if _, err := Open(dir, Options{Create: true}); err != nil {
		t.Fatal(err)
	}
	start := func(role string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcessHelper$")
		cmd.Env = append(os.Environ(), "MAILBOX_HELPER="+role, "MAILBOX_DIR="+dir, "MAILBOX_N="+strconv.Itoa(n), "MAILBOX_VIA="+via)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}
	r1, out1 := start("read")
	r2, out2 := start("read")
	d, outD := start("deliver")
	for _, c := range []struct {
		cmd *exec.Cmd
		out *bytes.Buffer
	}{{d, outD}, {r1, out1}, {r2, out2}} {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("helper %v: %v\n%s", c.cmd.Env[len(c.cmd.Env)-4], err, c.out)
		}
	}
	delivered := map[string]bool{}
	for _, line := range lines(outD) {
		if k, ok := strings.CutPrefix(line, "key "); ok {
			delivered[k] = true
		}
	}
	if len(delivered) != n {
		t.Fatalf("deliverer reported %d keys, want %d\n%s", len(delivered), n, outD)
	}
	uidOf, keyOf := map[string]uint32{}, map[uint32]string{}
	var validity string
	for _, out := range []*bytes.Buffer{out1, out2, outD} {
		for _, line := range lines(out) {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == "validity" {
				if validity != "" && validity != f[1] {
					t.Errorf("UIDVALIDITY changed: %s then %s", validity, f[1])
				}
				validity = f[1]
			}
			if len(f) != 3 || f[0] != "uid" {
				continue
			}
			u, _ := strconv.ParseUint(f[1], 10, 32)
			uid, key := uint32(u), f[2]
			if old, ok := uidOf[key]; ok && old != uid {
				t.Errorf("key %s got UIDs %d and %d", key, old, uid)
			}
			if old, ok := keyOf[uid]; ok && old != key {
				t.Errorf("UID %d given to %s and %s", uid, old, key)
			}
			uidOf[key], keyOf[uid] = uid, key
		}
	}
	m, _ := Open(dir, Options{})
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	final := f.Messages()
	if len(final) != n {
		t.Errorf("final folder has %d messages, want %d", len(final), n)
	}
	for _, msg := range final {
		if !delivered[msg.Key] {
			t.Errorf("unknown key %s", msg.Key)
		}
		if u, ok := uidOf[msg.Key]; ok && u != msg.UID {
			t.Errorf("key %s: readers saw UID %d, final list %d", msg.Key, u, msg.UID)
		}
		delete(delivered, msg.Key)
	}
	if len(delivered) != 0 {
		t.Errorf("%d delivered messages lost", len(delivered))
	}
	if st := f.Status(); st.UIDNext != n+1 {
		t.Errorf("UIDNext %d, want %d (a UID was handed out twice or skipped)", st.UIDNext, n+1)
	}
}

func lines(b *bytes.Buffer) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestMultiProcessHelper is the body of the helper processes.
func TestMultiProcessHelper(t *testing.T) {
	role := os.Getenv("MAILBOX_HELPER")
	if role == "" {
		t.Skip("run by TestMultiProcess")
	}
	dir := os.Getenv("MAILBOX_DIR")
	n, _ := strconv.Atoi(os.Getenv("MAILBOX_N"))
	m, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	switch role {
	case "deliver":
		var f *Folder
		if os.Getenv("MAILBOX_VIA") == "folder" {
			if f, err = m.Inbox(); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < n; i++ {
			data := fmt.Appendf(nil, "Subject: %d\n\n%d\n", i, i)
			if f == nil {
				key, err := m.Deliver(context.Background(), "", data, 0)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(w, "key %s\n", key)
				continue
			}
			msg, err := f.Deliver(context.Background(), data, 0, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(w, "key %s\nuid %d %s\n", msg.Key, msg.UID, msg.Key)
		}
	case "read":
		f, err := m.Inbox()
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; ; round++ {
			st, err := f.Sync()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(w, "validity %d\n", st.UIDValidity)
			msgs := f.Messages()
			var take []uint32
			for _, msg := range msgs {
				fmt.Fprintf(w, "uid %d %s\n", msg.UID, msg.Key)
				if msg.Recent && msg.UID%3 == 0 {
					take = append(take, msg.UID)
				}
			}
			if _, err := f.SetFlags(take, FlagsAdd, Seen); err != nil {
				t.Fatal(err)
			}
			if len(msgs) == n || round > 100000 {
				return
			}
		}
	}
}
