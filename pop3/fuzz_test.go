package pop3

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzParseCommand: never panics; a parsed command formats back to a
// line that parses to the same command.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"USER bob", "PASS a b c", "LIST 1", "TOP 1 10", "retr 2", "AUTH PLAIN =", "X", "LIST  1", "NOOP\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, err := ParseCommand(line)
		if err != nil {
			return
		}
		again, err := ParseCommand([]byte(cmd.String()))
		if err != nil || again.String() != cmd.String() {
			t.Fatalf("%q: %q then %q, %v", line, cmd, again, err)
		}
	})
}

// FuzzDotRoundTrip: what writeMessage stuffs, DotReader unstuffs to the
// message with CRLF line endings (and a final one).
func FuzzDotRoundTrip(f *testing.F) {
	f.Add([]byte("Subject: x\n\n.\n..\n.x\r\nend"))
	f.Add([]byte(""))
	f.Add([]byte(strings.Repeat("a", 40000) + "\n.b\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var wire bytes.Buffer
		bw := bufio.NewWriter(&wire)
		if err := writeMessage(bw, bufio.NewReaderSize(bytes.NewReader(msg), 16), -1); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		got, err := io.ReadAll(DotReader(bufio.NewReaderSize(bytes.NewReader(wire.Bytes()), 16)))
		if err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(strings.ReplaceAll(string(msg), "\r\n", "\n"), "\n", "\r\n")
		if want != "" && !strings.HasSuffix(want, "\r\n") {
			want += "\r\n"
		}
		// A bare CR before LF is part of the line ending; keep the
		// comparison on what CRLF normalisation defines.
		if strings.Contains(string(msg), "\r") {
			return
		}
		if string(got) != want {
			t.Fatalf("round trip of %q:\n got %q\nwant %q", msg, got, want)
		}
	})
}

// FuzzServerSession feeds arbitrary input to a session: the server must
// answer every line and never panic.
func FuzzServerSession(f *testing.F) {
	f.Add([]byte("USER bob\r\nPASS secret\r\nSTAT\r\nLIST\r\nRETR 1\r\nTOP 2 1\r\nDELE 1\r\nRSET\r\nQUIT\r\n"))
	f.Add([]byte("AUTH PLAIN\r\nAGJvYgBzZWNyZXQ=\r\nUIDL\r\nQUIT\r\n"))
	f.Add([]byte("CAPA\r\nAPOP bob x\r\n\r\n\x00\r\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		s := &Server{Backend: testStore(), Authenticator: Secrets{"bob": "secret"}, AllowInsecureAuth: true,
			LoginFailureDelay: -1, MaxLoginFailuresPerIP: -1, CommandRate: -1}
		a, b := net.Pipe()
		done := make(chan struct{})
		go func() {
			s.ServeConn(a)
			close(done)
		}()
		go func() {
			b.Write(input)
			b.Write([]byte("\r\nQUIT\r\n"))
		}()
		b.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, b)
		b.Close()
		<-done
	})
}
