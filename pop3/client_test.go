package pop3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClient(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	st := testStore()
	addr := startServer(t, &Server{Backend: st, TLSConfig: srvTLS})
	ctx := context.Background()
	c, err := Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	caps, err := c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := caps["STLS"]; !ok {
		t.Fatalf("no STLS in %v", caps)
	}
	if err := c.Login(ctx, "bob", "secret"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("plaintext login: %v, want [AUTH]", err)
	}
	if err := c.StartTLS(ctx, cliTLS); err != nil {
		t.Fatal(err)
	}
	if err := c.AuthPlain(ctx, "bob", "wrong"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := c.AuthPlain(ctx, "bob", "secret"); err != nil {
		t.Fatal(err)
	}
	n, size, err := c.Stat(ctx)
	if err != nil || n != 3 || size != 42+40+34 {
		t.Errorf("Stat = %d %d %v", n, size, err)
	}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []MessageInfo{{1, 42, "uid-1"}, {2, 40, "uid-2"}, {3, 34, "uid-3"}}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("List:\n%s", diff)
	}
	var b bytes.Buffer
	if _, err := c.Retr(ctx, 1, &b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "Subject: one\r\n\r\nHello Bob.\r\n.leading dot\r\n" {
		t.Errorf("Retr 1 (unstuffed) %q", got)
	}
	b.Reset()
	if _, err := c.Top(ctx, 2, 2, &b); err != nil || b.String() != "Subject: two\r\n\r\nline 1\r\nline 2\r\n" {
		t.Errorf("Top = %q, %v", b.String(), err)
	}
	if err := c.Dele(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	var pe *Error
	if _, err := c.Retr(ctx, 3, io.Discard); !errors.As(err, &pe) {
		t.Errorf("Retr deleted: %v", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop(ctx); !errors.Is(err, ErrClientClosed) {
		t.Errorf("after Quit: %v", err)
	}
	if len(st.msgs["bob"]) != 2 {
		t.Errorf("bob has %d messages after DELE 3 and QUIT", len(st.msgs["bob"]))
	}
}

func TestClientFetchNew(t *testing.T) {
	st := testStore()
	addr := startServer(t, &Server{Backend: st, AllowInsecureAuth: true})
	ctx := context.Background()
	fetch := func(seen map[string]bool) ([]string, []string) {
		c, err := Dial(ctx, addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Quit(ctx)
		if err := c.Login(ctx, "bob", "secret"); err != nil {
			t.Fatal(err)
		}
		var got []string
		all, err := c.FetchNew(ctx, seen, func(m MessageInfo, r io.Reader) error {
			data, err := io.ReadAll(r)
			got = append(got, m.UID+"="+strings.SplitN(string(data), "\r\n", 2)[0])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, all
	}
	got, all := fetch(nil)
	if diff := cmp.Diff([]string{"uid-1=Subject: one", "uid-2=Subject: two", "uid-3=Subject: three"}, got); diff != "" {
		t.Errorf("first fetch:\n%s", diff)
	}
	st.msgs["bob"] = append(st.msgs["bob"], memMsg{"uid-4", "Subject: four\n\n4\n"})
	seen := map[string]bool{}
	for _, u := range all {
		seen[u] = true
	}
	got, all = fetch(seen)
	if diff := cmp.Diff([]string{"uid-4=Subject: four"}, got); diff != "" {
		t.Errorf("second fetch:\n%s", diff)
	}
	if len(all) != 4 {
		t.Errorf("UIDL set %v", all)
	}
}

func TestClientTrace(t *testing.T) {
	addr := startServer(t, &Server{Backend: testStore(), AllowInsecureAuth: true})
	ctx := context.Background()
	var tr bytes.Buffer
	c, err := Dial(ctx, addr, &ClientConfig{Trace: &tr})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, "bob", "secret"); err != nil {
		t.Fatal(err)
	}
	c.AuthPlain(ctx, "bob", "secret") // refused in TRANSACTION; traced redacted
	c.Retr(ctx, 1, io.Discard)
	c.Quit(ctx)
	got := tr.String()
	if strings.Contains(got, "secret") || strings.Contains(got, "AGJvYgBzZWNyZXQ") {
		t.Errorf("trace leaks the password:\n%s", got)
	}
	for _, want := range []string{"S: +OK POP3 server ready", "C: USER bob\n", "C: PASS ****\n", "C: AUTH PLAIN ****\n", "C: RETR 1\n", "S: +OK 42 octets\n", "S: [42 octets of message text]\nS: .\n", "C: QUIT\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}

func TestClientRefusesPlaintextToRemote(t *testing.T) {
	c := &Client{nc: fakeRemoteConn{}}
	if err := c.Login(context.Background(), "u", "p"); !errors.Is(err, ErrInsecureAuth) {
		t.Errorf("Login over plaintext to a remote host: %v", err)
	}
}
