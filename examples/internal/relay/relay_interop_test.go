//go:build interop

package relay

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The relay as the SMTP server under test, with real clients: swaks and
// Python's smtplib. Each test starts its own relay on 127.0.0.1.

func interopRelay(t *testing.T) *Relay {
	t.Helper()
	return startRelay(t, Config{
		Domains:       []string{"local.test"},
		Users:         map[string]string{"alice": "pw"},
		TLS:           true,
		MaxSize:       50000,
		MaxRecipients: 1000,
		Hold:          true,
	})
}

// swaks runs swaks against addr and returns its transcript and whether
// it exited 0.
func swaks(t *testing.T, addr string, args ...string) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks not installed")
	}
	cmd := exec.Command(bin, append([]string{"--server", addr, "--timeout", "20"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func mailbox(t *testing.T, r *Relay, addr string) []string {
	t.Helper()
	msgs, err := r.Backend().Mailboxes().Messages(addr)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m)
	}
	return out
}

func TestInteropSwaksPlainPipeliningTLSAuth(t *testing.T) {
	r := interopRelay(t)
	out, ok := swaks(t, r.Addr(), "--to", "bob@local.test", "--from", "a@x.test")
	if !ok || !strings.Contains(out, "<-  250 2.0.0") {
		t.Fatalf("plain:\n%s", out)
	}
	// PIPELINING (RFC 2920): swaks sends MAIL, RCPT and DATA in one go.
	out, ok = swaks(t, r.Addr(), "--to", "bob@local.test", "--from", "a@x.test", "--pipeline")
	if !ok || !strings.Contains(out, "250-PIPELINING") ||
		!strings.Contains(out, " -> MAIL FROM:<a@x.test>\n -> RCPT TO:<bob@local.test>\n -> DATA\n") {
		t.Fatalf("pipelining:\n%s", out)
	}
	// STARTTLS (RFC 3207), then AUTH PLAIN (RFC 4954, RFC 4616) to relay.
	out, ok = swaks(t, r.Addr(), "--to", "x@far.test", "--from", "alice@local.test", "-tls",
		"-a", "PLAIN", "-au", "alice", "-ap", "pw")
	if !ok || !strings.Contains(out, "235 2.7.0") {
		t.Fatalf("STARTTLS + AUTH PLAIN:\n%s", out)
	}
	entries, err := r.Entries(context.Background())
	if err != nil || len(entries) != 1 || entries[0].Recipients[0].Addr != "x@far.test" {
		t.Fatalf("queue after authenticated relay: %+v, %v", entries, err)
	}
	// Without TLS the server does not offer AUTH (RFC 4954 4: no
	// plaintext passwords in the clear), so swaks cannot authenticate.
	out, ok = swaks(t, r.Addr(), "--to", "x@far.test", "--from", "alice@local.test",
		"-a", "PLAIN", "-au", "alice", "-ap", "pw")
	if ok || strings.Contains(out, "AUTH PLAIN") && strings.Contains(out, "235") {
		t.Fatalf("AUTH over plaintext succeeded:\n%s", out)
	}
	// TLS alone does not make a client a trusted relay.
	out, ok = swaks(t, r.Addr(), "--to", "x@far.test", "--from", "a@x.test", "-tls")
	if ok || !strings.Contains(out, "Relay access denied") {
		t.Fatalf("open relay over TLS:\n%s", out)
	}
	box := mailbox(t, r, "bob@local.test")
	if len(box) != 2 {
		t.Fatalf("bob has %d messages, want 2", len(box))
	}
	if !strings.Contains(box[0], "with ESMTP id") {
		t.Errorf("Received field of a plain session:\n%s", box[0])
	}
}

func TestInteropSwaks8BitAndDots(t *testing.T) {
	r := interopRelay(t)
	body := "Grüße, crème brûlée: 8-bit text\n.\n..\n.leading dot\nend\n"
	path := filepath.Join(t.TempDir(), "body")
	os.WriteFile(path, []byte(body), 0o644)
	out, ok := swaks(t, r.Addr(), "--to", "bob@local.test", "--from", "a@x.test", "--body", path)
	if !ok || !strings.Contains(out, "250-8BITMIME") {
		t.Fatalf("8-bit body:\n%s", out)
	}
	// swaks dot-stuffs the lone-dot lines (RFC 5321 4.5.2); the server
	// removes the stuffing and stores the text as it was.
	if !strings.Contains(out, "\n -> ..\r\n") {
		t.Errorf("swaks did not dot-stuff the lone dot:\n%s", out)
	}
	box := mailbox(t, r, "bob@local.test")
	if len(box) != 1 || !strings.Contains(box[0], "\n\n"+body) {
		t.Fatalf("mailbox:\n%q", box)
	}
}

func TestInteropSwaksSizeLimit(t *testing.T) {
	r := interopRelay(t)
	big := strings.Repeat(strings.Repeat("x", 70)+"\n", 1000) // 71000 > 50000
	path := filepath.Join(t.TempDir(), "big")
	os.WriteFile(path, []byte(big), 0o644)
	out, ok := swaks(t, r.Addr(), "--to", "bob@local.test", "--from", "a@x.test", "--body", path)
	// RFC 1870 6.1 / RFC 5321 4.5.3.1.10: 552 for a message over the
	// limit, and nothing is stored.
	if ok || !strings.Contains(out, "<** 552") {
		t.Fatalf("oversized message:\n%s", out)
	}
	if box := mailbox(t, r, "bob@local.test"); len(box) != 0 {
		t.Fatalf("oversized message stored: %d messages", len(box))
	}
	// The connection is still good for a normal message afterwards.
	if out, ok := swaks(t, r.Addr(), "--to", "bob@local.test", "--from", "a@x.test"); !ok {
		t.Fatalf("after the refusal:\n%s", out)
	}
}

func TestInteropSwaks200Recipients(t *testing.T) {
	r := interopRelay(t)
	var rcpts []string
	for i := 0; i < 200; i++ {
		rcpts = append(rcpts, fmt.Sprintf("user%03d@local.test", i))
	}
	// The recipients go in the envelope only: one To: line naming all
	// 200 would exceed the 1000-octet line limit (RFC 5321 4.5.3.1.6).
	out, ok := swaks(t, r.Addr(), "--to", strings.Join(rcpts, ","), "--from", "a@x.test", "--pipeline",
		"--h-To", "undisclosed-recipients:;")
	if !ok {
		t.Fatalf("200 recipients:\n%s", out[max(0, len(out)-3000):])
	}
	n, err := r.Backend().Mailboxes().Count()
	if err != nil || n != 200 {
		t.Fatalf("%d messages delivered (%v), want 200", n, err)
	}
	if box := mailbox(t, r, "user199@local.test"); len(box) != 1 {
		t.Errorf("last recipient has %d messages", len(box))
	}
}

// TestInteropSwaksSmuggling sends the SMTP smuggling probes: message data
// holding a bare-LF "end of data" followed by a second transaction. A
// server that took <LF>.<LF> or <LF>.<CR><LF> as the end would deliver
// the smuggled message; this one must not split the message (it refuses
// data with bare line endings as a whole).
func TestInteropSwaksSmuggling(t *testing.T) {
	r := interopRelay(t)
	smuggled := "MAIL FROM:<smuggler@x.test>\r\nRCPT TO:<bob@local.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil"
	for name, end := range map[string]string{
		"bare LF":       "\n",
		"<LF>.<LF>":     "\n.\n",
		"<LF>.<CR><LF>": "\n.\r\n",
		"<CR><LF>.<LF>": "\r\n.\n",
		"<CR>.<CR>":     "\r.\r",
		"<CR><LF>.<CR>": "\r\n.\r",
	} {
		t.Run(name, func(t *testing.T) {
			// -ndf: swaks sends the bytes as they are, adding only a
			// CRLF, so the data ends in the real <CR><LF>.<CR><LF>.
			data := "Subject: probe\r\n\r\nbefore" + end + smuggled + "\r\n."
			path := filepath.Join(t.TempDir(), "probe")
			os.WriteFile(path, []byte(data), 0o644)
			out, _ := swaks(t, r.Addr(), "--to", "bob@local.test", "--from", "a@x.test", "-ndf", "--data", path)
			for _, m := range mailbox(t, r, "bob@local.test") {
				if strings.Contains(m, "Subject: smuggled") && !strings.Contains(m, "Subject: probe") {
					t.Fatalf("the message was split: a smuggled message was delivered\n%s", out)
				}
			}
			if strings.Contains(out, "<-  250 2.0.0") && strings.Count(out, "354") > 1 {
				t.Fatalf("a second DATA was accepted:\n%s", out)
			}
		})
	}
	// Whatever was accepted is whole: every stored message starts with
	// the probe's header.
	for _, m := range mailbox(t, r, "bob@local.test") {
		if !strings.Contains(m, "Subject: probe") {
			t.Errorf("stored message is not a whole probe:\n%s", m)
		}
	}
}

// TestInteropPythonSmtplib100 sends 100 messages over one connection with
// Python's smtplib, with SIZE and BODY=8BITMIME parameters, then checks a
// SIZE declared over the limit is refused at MAIL.
func TestInteropPythonSmtplib100(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	r := interopRelay(t)
	host, port, _ := strings.Cut(r.Addr(), ":")
	script := `
import smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP(host, port, timeout=30)
s.ehlo("python.test")
assert s.has_extn("8bitmime") and s.has_extn("size") and s.has_extn("pipelining"), s.esmtp_features
local = s.sock.getsockname()
for i in range(100):
    msg = ("From: py@x.test\r\nTo: bob@local.test\r\nSubject: py %d\r\n\r\n"
           "caf\u00e9 number %d\r\n" % (i, i)).encode("utf-8")
    # smtplib adds SIZE=len(msg) itself when the server offers SIZE.
    refused = s.sendmail("py@x.test", ["bob@local.test"], msg,
                         mail_options=["BODY=8BITMIME"])
    assert refused == {}, refused
    assert s.sock.getsockname() == local, "reconnected"
# RFC 1870 6.1: a declared SIZE over the limit is refused at MAIL.
code, resp = s.mail("py@x.test", ["SIZE=900000"])
assert code == 552, (code, resp)
code, resp = s.rset()
assert code == 250, (code, resp)
s.quit()
print("ok", local[1])
`
	cmd := exec.Command(py, "-c", script, host, port)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, out.String())
	}
	box := mailbox(t, r, "bob@local.test")
	if len(box) != 100 {
		t.Fatalf("bob has %d messages, want 100", len(box))
	}
	if !strings.Contains(strings.Join(box, ""), "café number 99\n") {
		t.Errorf("8-bit text not kept:\n%s", box[len(box)-1])
	}
}
