package smtp

import (
	"strings"
	"testing"
)

// TestCommandInEveryState runs each command in each session state and
// checks the reply code: the state machine of RFC 5321 4.1.4 and 4.3.2.
func TestCommandInEveryState(t *testing.T) {
	states := []struct {
		name  string
		setup []string // commands sent first, all expected to succeed
	}{
		{"greeted", nil},
		{"helo", []string{"HELO c.test"}},
		{"ehlo", []string{"EHLO c.test"}},
		{"mail", []string{"EHLO c.test", "MAIL FROM:<a@example.org>"}},
		{"rcpt", []string{"EHLO c.test", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>"}},
	}
	// want[i] is the reply code in states[i].
	cmds := []struct {
		line string
		want [5]string
	}{
		{"HELO x", [5]string{"250", "250", "250", "250", "250"}},
		{"EHLO x", [5]string{"250", "250", "250", "250", "250"}},
		{"LHLO x", [5]string{"500", "500", "500", "500", "500"}},
		{"MAIL FROM:<x@example.org>", [5]string{"503", "250", "250", "503", "503"}},
		{"RCPT TO:<y@example.net>", [5]string{"503", "503", "503", "250", "250"}},
		{"DATA", [5]string{"503", "503", "503", "503", "354"}},
		{"BDAT 0 LAST", [5]string{"503", "503", "503", "503", "250"}},
		{"RSET", [5]string{"250", "250", "250", "250", "250"}},
		{"NOOP", [5]string{"250", "250", "250", "250", "250"}},
		{"VRFY x", [5]string{"252", "252", "252", "252", "252"}},
		{"EXPN x", [5]string{"502", "502", "502", "502", "502"}},
		{"HELP", [5]string{"214", "214", "214", "214", "214"}},
		{"STARTTLS", [5]string{"454", "454", "454", "454", "454"}},
		{"AUTH PLAIN AGFsaWNlAHNlY3JldA==", [5]string{"503", "503", "235", "503", "503"}},
		{"XYZZY", [5]string{"500", "500", "500", "500", "500"}},
		{"QUIT", [5]string{"221", "221", "221", "221", "221"}},
	}
	for si, st := range states {
		for _, cmd := range cmds {
			t.Run(st.name+"/"+strings.Fields(cmd.line)[0], func(t *testing.T) {
				s := &Server{Backend: &testBackend{}, AllowInsecureAuth: true}
				lc := newLineClient(t, pipeServer(t, s))
				lc.line()
				for _, l := range st.setup {
					lc.send(l + "\r\n")
					if r := lc.reply(); r[0] != '2' {
						t.Fatalf("setup %q: %q", l, r)
					}
				}
				lc.send(cmd.line + "\r\n")
				r := lc.reply()
				if !strings.HasPrefix(r, cmd.want[si]) {
					t.Fatalf("%q in state %s: %q, want %s", cmd.line, st.name, r, cmd.want[si])
				}
				if strings.HasPrefix(r, "354") {
					lc.send(".\r\n")
					if r := lc.reply(); !strings.HasPrefix(r, "250") {
						t.Fatalf("end of data: %q", r)
					}
				}
				if cmd.line == "QUIT" {
					lc.expectEOF()
					return
				}
				// The session is still alive and in a sane state.
				lc.send("NOOP\r\n")
				if r := lc.reply(); !strings.HasPrefix(r, "250") {
					t.Fatalf("NOOP after %q: %q", cmd.line, r)
				}
			})
		}
	}
}
