//go:build interop

package smtp

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/internal/postfixtest"
)

func needTool(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return p
}

// TestInteropPythonSmtplib: Python's smtplib (EHLO, STARTTLS, AUTH,
// sendmail) against the Server.
func TestInteropPythonSmtplib(t *testing.T) {
	py := needTool(t, "python3")
	be := &testBackend{}
	s := &Server{Backend: be, TLSConfig: &tls.Config{Certificates: []tls.Certificate{testCert(t)}}}
	addr := startServer(t, s)
	host, port, _ := net.SplitHostPort(addr)
	script := `
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as c:
    c.ehlo("py.test")
    assert c.has_extn("starttls") and not c.has_extn("auth")
    c.starttls(context=ctx)
    c.ehlo("py.test")
    c.login("alice", "secret")
    refused = c.sendmail("alice@example.org", ["bob@example.net", "reject@example.net"],
        "Subject: from python\r\n\r\n.leading dot\nbare LF normalised by smtplib\r\n")
    assert list(refused) == ["reject@example.net"], refused
    c.noop()
`
	f := filepath.Join(t.TempDir(), "send.py")
	if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, f, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	m := be.messages()
	if len(m) != 1 || !m[0].TLS || m[0].AuthUser != "alice" || m[0].Hello != "py.test" {
		t.Fatalf("messages %+v", m)
	}
	if want := "Subject: from python\r\n\r\n.leading dot\r\nbare LF normalised by smtplib\r\n"; string(m[0].Data) != want {
		t.Fatalf("data %q, want %q", m[0].Data, want)
	}
}

// TestInteropSwaks: swaks with PIPELINING against the Server.
func TestInteropSwaks(t *testing.T) {
	swaks := needTool(t, "swaks")
	be := &testBackend{}
	addr := startServer(t, &Server{Backend: be})
	out, err := exec.Command(swaks, "--server", addr, "--pipeline", "--helo", "swaks.test",
		"--from", "alice@example.org", "--to", "bob@example.net,carol@example.net",
		"--body", "hello from swaks", "--timeout", "10").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	m := be.messages()
	if len(m) != 1 || len(m[0].To) != 2 || !strings.Contains(string(m[0].Data), "hello from swaks") {
		t.Fatalf("messages %+v\n%s", m, out)
	}
}

// TestInteropClientToSmtpSink: the Client sends several messages over one
// connection to Postfix's smtp-sink.
func TestInteropClientToSmtpSink(t *testing.T) {
	needTool(t, "smtp-sink")
	sink, err := postfixtest.StartSink(10)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, sink.Addr, &ClientConfig{LocalName: "client.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _, err := c.Extension(ctx, "PIPELINING"); err != nil || !ok {
		t.Fatalf("PIPELINING: %v %v", ok, err)
	}
	for i := range 5 {
		res, err := c.SendMail(ctx, "alice@example.org", []string{"bob@example.net", "carol@example.net"},
			strings.NewReader("Subject: "+strconv.Itoa(i)+"\r\n\r\n.dot\r\n"), &SendOptions{Mail: MailOptions{Body: Body8BitMIME}})
		if err != nil || res.Accepted() != 2 {
			t.Fatalf("message %d: %v %+v", i, err, res)
		}
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}
