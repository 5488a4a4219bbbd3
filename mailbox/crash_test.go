package mailbox

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCrashDuringDelivery kills (SIGKILL) a process in the middle of
// delivering and checks the Maildir promise: every delivery it reported
// done is in new/ in full, and new/ holds no partial file (leftovers stay
// in tmp/, where no reader looks).
func TestCrashDuringDelivery(t *testing.T) {
	if os.Getenv("MAILBOX_CRASH_DIR") != "" {
		t.Skip("helper process")
	}
	dir := filepath.Join(t.TempDir(), "Maildir")
	done := map[string]int{}
	killAfter(t, dir, "", func(line string) int {
		var key string
		var size int
		if n, _ := fmt.Sscanf(line, "done %s %d", &key, &size); n == 2 {
			done[key] = size
		}
		return len(done)
	})
	m, _ := Open(dir, Options{})
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range f.Messages() {
		want := sizeField(msg.Key, 'S')
		if msg.Size != want {
			t.Errorf("%s in new/ has %d bytes, its name says %d: a partial file became visible", msg.Key, msg.Size, want)
		}
		delete(done, msg.Key)
	}
	if len(done) > 0 {
		t.Errorf("%d acknowledged deliveries missing after the crash", len(done))
	}
}

// killAfter makes the Maildir dir, runs TestCrashHelper on it in a child
// process (delivering with Folder.Deliver when folder is not empty), feeds
// each line the child prints to ack, which returns how many deliveries
// were acknowledged so far, and kills the child (SIGKILL, mid-stream) at
// 200.
func killAfter(t *testing.T, dir, folder string, ack func(line string) int) {
	t.Helper()
	if _, err := Open(dir, Options{Create: true}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), "MAILBOX_CRASH_DIR="+dir, "MAILBOX_CRASH_FOLDER="+folder)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if ack(sc.Text()) == 200 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	cmd.Wait()
}

// TestCrashHelper delivers messages of growing size until killed,
// printing each acknowledged key.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv("MAILBOX_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestCrashDuringDelivery")
	}
	m, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("MAILBOX_CRASH_FOLDER") != "" {
		f, err := m.Inbox()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			msg, err := f.Deliver(context.Background(), fmt.Appendf(nil, "Subject: %d\n\nx\n", i), 0, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("uid %s %d\n", msg.Key, msg.UID)
		}
	}
	for i := 0; ; i++ {
		data := []byte("Subject: " + fmt.Sprint(i) + "\n\n" + strings.Repeat("x", 1000+i*97%50000) + "\n")
		key, err := m.Deliver(context.Background(), "", data, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("done %s %d\n", key, len(data))
	}
}

// TestCrashDuringFolderDeliver kills (SIGKILL) a process delivering
// with Folder.Deliver: every (key, UID) pair it acknowledged is in the
// folder with that UID after the crash, and later UIDs are new ones.
func TestCrashDuringFolderDeliver(t *testing.T) {
	if os.Getenv("MAILBOX_CRASH_DIR") != "" {
		t.Skip("helper process")
	}
	dir := filepath.Join(t.TempDir(), "Maildir")
	done := map[string]uint32{}
	var last uint32
	killAfter(t, dir, "1", func(line string) int {
		var key string
		var uid uint32
		if n, _ := fmt.Sscanf(line, "uid %s %d", &key, &uid); n == 2 {
			done[key], last = uid, max(last, uid)
		}
		return len(done)
	})
	m, _ := Open(dir, Options{})
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if f.Status().Repaired {
		t.Fatalf("list repaired after the crash: %v", f.Status().Reason)
	}
	for _, msg := range f.Messages() {
		if uid, ok := done[msg.Key]; ok && uid != msg.UID {
			t.Errorf("%s was acknowledged with UID %d, has %d after the crash", msg.Key, uid, msg.UID)
		}
		delete(done, msg.Key)
	}
	if len(done) > 0 {
		t.Errorf("%d acknowledged deliveries missing after the crash", len(done))
	}
	msg, err := f.Deliver(context.Background(), []byte("after\n"), 0, time.Time{})
	if err != nil || msg.UID <= last {
		t.Errorf("after the crash: UID %d (last acknowledged %d), %v", msg.UID, last, err)
	}
}
