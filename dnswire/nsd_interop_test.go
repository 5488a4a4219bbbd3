//go:build interop

package dnswire

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestInteropNSDCheckzone: NSD's own zone parser reads our test zones and
// prints them back (nsd-checkzone -p); ReadZone must find the same records
// in the original and in NSD's rendering.
func TestInteropNSDCheckzone(t *testing.T) {
	for _, c := range []struct{ origin, file string }{
		{"example.com", "testdata/zone/example.com.zone"},
		{"capture.example", "testdata/captures/capture.example.zone"},
	} {
		out, err := exec.Command("/usr/sbin/nsd-checkzone", "-p", c.origin, c.file).Output()
		if err != nil {
			t.Fatalf("nsd-checkzone %s: %v", c.file, err)
		}
		theirs, err := ReadZone(bytes.NewReader(out), ZoneConfig{File: "nsd-checkzone output"})
		if err != nil {
			t.Fatalf("reading NSD's rendering of %s: %v\n%s", c.file, err, out)
		}
		f, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := ReadZone(bytes.NewReader(f), ZoneConfig{File: c.file})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := sortedLines(ours), sortedLines(theirs); a != b {
			t.Errorf("%s: ReadZone and NSD disagree:\nours\n%s\nNSD\n%s", c.file, a, b)
		}
	}
}

func sortedLines(rrs []RR) string {
	var l []string
	for _, rr := range rrs {
		l = append(l, strings.ToLower(rr.String()))
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// startNSD serves testdata/captures/capture.example.zone on 127.0.0.1 at a
// free port and returns the port.
func startNSD(t *testing.T) int {
	t.Helper()
	dir := t.TempDir()
	zone, err := os.ReadFile("testdata/captures/capture.example.zone")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "capture.example.zone"), zone, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	conf := fmt.Sprintf("server:\n\tip-address: 127.0.0.1@%d\n\tport: %d\n\tusername: \"\"\n\tchroot: \"\"\n"+
		"\tzonesdir: %q\n\tpidfile: %q\n\tdatabase: \"\"\n\tzonelistfile: %q\n\txfrdfile: %q\n\txfrdir: %q\n"+
		"\tlogfile: %q\n\tserver-count: 1\nremote-control:\n\tcontrol-enable: no\n"+
		"zone:\n\tname: capture.example\n\tzonefile: capture.example.zone\n",
		port, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "zone.list"),
		filepath.Join(dir, "xfrd.state"), dir, filepath.Join(dir, "nsd.log"))
	cf := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/nsd", "-d", "-c", cf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Ready when it answers; each try waits for a reply, not a clock.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := exchange(port, MustName("capture.example."), TypeSOA, false); err == nil {
			return port
		}
		if time.Now().After(deadline) {
			t.Fatal("nsd does not answer")
		}
	}
}

func exchange(port int, name Name, qt Type, tcp bool) ([]byte, error) {
	var b Builder
	b.Start(nil, Header{ID: 0x4242}, BuildOptions{Compress: true, TCP: tcp})
	b.Question(&Question{Name: name, Type: qt, Class: ClassINET})
	q, err := b.Finish()
	if err != nil {
		return nil, err
	}
	network := "udp"
	if tcp {
		network = "tcp"
	}
	c, err := net.Dial(network, fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write(q); err != nil {
		return nil, err
	}
	if tcp {
		return ReadTCP(c, nil)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	return buf[:n], err
}

// TestInteropNSDDig asks NSD the same questions with dnswire and with dig
// and compares every record line.
func TestInteropNSDDig(t *testing.T) {
	if _, err := exec.LookPath("dig"); err != nil {
		t.Skip("dig not installed")
	}
	port := startNSD(t)
	for _, c := range []struct {
		name string
		t    Type
		tcp  bool
	}{
		{"capture.example.", TypeMX, false},
		{"capture.example.", TypeSOA, false},
		{"capture.example.", TypeTXT, false},
		{"capture.example.", TypeCAA, false},
		{"multi.capture.example.", TypeTXT, false},
		{"www.capture.example.", TypeA, false},
		{"nope.capture.example.", TypeA, false},
		{"_sip._tcp.capture.example.", TypeSRV, false},
		{"7.capture.example.", TypePTR, false},
		{"opaque.capture.example.", Type(65280), false},
		{"big.capture.example.", TypeTXT, true},
		{"x.sub.capture.example.", TypeA, false},
		{"CaPtUrE.ExAmPlE.", TypeNS, false},
	} {
		raw, err := exchange(port, MustName(c.name), c.t, c.tcp)
		if err != nil {
			t.Fatalf("%s %v: %v", c.name, c.t, err)
		}
		var m Msg
		if err := m.Unpack(raw); err != nil {
			t.Fatalf("%s %v: %v", c.name, c.t, err)
		}
		var ours []string
		for _, rrs := range [][]RR{m.Answer, m.Ns, m.Extra} {
			for i := range rrs {
				ours = append(ours, string(appendAligned(nil, &rrs[i])))
			}
		}
		args := []string{"@127.0.0.1", "-p", fmt.Sprint(port), "+norec", "+noedns", "+nocookie",
			"+noall", "+answer", "+authority", "+additional", c.name, c.t.String()}
		if c.tcp {
			args = append(args, "+tcp")
		}
		out, err := exec.Command("dig", args...).Output()
		if err != nil {
			t.Fatalf("dig %v: %v", args, err)
		}
		theirs := strings.Split(strings.TrimSpace(string(out)), "\n")
		if strings.TrimSpace(string(out)) == "" {
			theirs = nil
		}
		// Msg.String lays records out in dig's columns; dig writes RFC
		// 3597 hex in upper case, so compare ignoring case.
		if got, want := strings.ToLower(strings.Join(ours, "\n")), strings.ToLower(strings.Join(theirs, "\n")); got != want {
			t.Errorf("%s %v:\ndnswire\n%s\ndig\n%s", c.name, c.t, strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
		}
	}
}
