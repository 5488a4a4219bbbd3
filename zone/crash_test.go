package zone

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// TestMain lets the test binary run as a child server for the crash test.
func TestMain(m *testing.M) {
	if dir := os.Getenv("ZONE_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild serves edu. with a journal in dir and prints its address.
func crashChild(dir string) {
	s := updateServer(nilTB{}, dir)
	s.Now = nil
	if err := s.ListenAndServe("127.0.0.1:0"); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(s.Addr())
	select {}
}

// nilTB is enough of testing.TB for updateServer outside a test.
type nilTB struct{ testing.TB }

func (nilTB) Helper()                   {}
func (nilTB) Fatal(args ...any)         { fmt.Println(args...); os.Exit(1) }
func (nilTB) Fatalf(f string, a ...any) { fmt.Printf(f+"\n", a...); os.Exit(1) }

func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ZONE_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error") {
		cmd.Process.Kill()
		t.Fatalf("child: %q %v", line, err)
	}
	return cmd, strings.TrimSpace(line)
}

// TestCrashKill9: every UPDATE answered NOERROR survives kill -9 of the
// server, including one killed while updates are in flight.
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	var acked []string
	for round := range 3 {
		cmd, addr := startChild(t, dir)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// Pipeline updates; kill the child after reading some answers,
		// with more still in flight.
		const n = 30
		var batch []byte
		names := make([]string, n)
		for i := range n {
			names[i] = fmt.Sprintf("h%d-%d.edu.", round, i)
			u := dnswire.NewUpdate(dnswire.MustName("edu."))
			u.ID = uint16(i)
			u.UpdateAdd(rr(t, names[i]+" 60 IN A 192.0.2.1"))
			w, _ := u.Pack()
			w, _, err = dnswire.SignTSIG(w, dnswire.TSIGSign{Key: admin})
			if err != nil {
				t.Fatal(err)
			}
			batch, _ = dnswire.AppendTCP(batch, w)
		}
		if _, err := c.Write(batch); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for i := range n / 2 {
			resp, err := dnswire.ReadTCP(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			var m dnswire.Msg
			if err := m.Unpack(resp); err != nil {
				t.Fatal(err)
			}
			if m.RCode != dnswire.RCodeSuccess || m.ID != uint16(i) {
				t.Fatalf("update %d: %v id %d", i, m.RCode, m.ID)
			}
			acked = append(acked, names[i])
		}
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		c.Close()
	}
	// Restart once more and check every acknowledged name.
	cmd, addr := startChild(t, dir)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	for _, name := range acked {
		w, _ := query(name, dnswire.TypeA).Pack()
		if err := dnswire.WriteTCP(c, w); err != nil {
			t.Fatal(err)
		}
		resp, err := dnswire.ReadTCP(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		var m dnswire.Msg
		if err := m.Unpack(resp); err != nil {
			t.Fatal(err)
		}
		if m.RCode != dnswire.RCodeSuccess || len(m.Answer) != 1 {
			t.Errorf("%s lost after kill -9: %v", name, m.RCode)
		}
	}
}
