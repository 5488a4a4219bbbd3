//go:build interop

package imap

import (
	"os/exec"
	"strings"
	"testing"
)

// imaplibScript drives the server with Python's imaplib, which checks
// every response's syntax as it parses it, and prints what it saw.
const imaplibScript = `
import imaplib, sys
host, port = sys.argv[1], int(sys.argv[2])
m = imaplib.IMAP4(host, port)
assert 'IMAP4REV1' in m.capabilities, m.capabilities
print(m.login('bob', 'secret')[0])
typ, boxes = m.list()
print(typ, sorted(b.decode().split(' "/" ')[1] for b in boxes))
typ, data = m.select('INBOX')
print(typ, data)
typ, data = m.fetch('1:*', '(UID FLAGS RFC822.SIZE)')
print(typ, [d.decode() for d in data])
typ, data = m.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
print(typ, data[0][1].decode().strip())
typ, data = m.fetch('1', '(ENVELOPE)')
print(typ, data[0].decode()[:60])
print(m.search(None, 'FROM', 'carol'))
print(m.uid('SEARCH', None, 'ALL'))
print(m.store('1', '+FLAGS', '(\\Flagged)'))
print(m.uid('COPY', '1', 'Sent'))
msg = b'From: bob@hamburger.edu\r\nSubject: draft\r\n\r\nhi\r\n'
print(m.append('Sent', '(\\Draft)', None, msg)[0])
print(m.status('Sent', '(MESSAGES UIDNEXT)'))
print(m.create('Archive/2024'), m.rename('Archive/2024', 'Archive/old'), m.delete('Archive/old'))
print(m.store('2', '+FLAGS', '(\\Deleted)')[0], m.expunge())
print(m.close()[0], m.logout()[0])
`

func TestInteropImaplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	ts := startServer(t, nil)
	ts.be.deliver("INBOX", msg1)
	ts.be.deliver("INBOX", msg2, `\Seen`)
	host, port, _ := strings.Cut(ts.addr, ":")
	out, err := exec.Command(py, "-c", imaplibScript, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("imaplib: %v\n%s", err, out)
	}
	want := []string{
		"OK",
		"OK ['INBOX', 'Sent', 'Trash']",
		"OK [b'2']",
		`OK ['1 (UID 1 FLAGS () RFC822.SIZE 155)', '2 (UID 2 FLAGS (\\Seen) RFC822.SIZE 73)']`,
		"OK Subject: Hello Bob",
		`OK 1 (ENVELOPE ("Tue, 5 Mar 2024 10:00:00 +0000" "Hello Bob" ((`,
		"('OK', [b'2'])",
		"('OK', [b'1 2'])",
		`('OK', [b'1 (FLAGS (\\Flagged))'])`,
		"('OK', [None])",
		"OK",
		"('OK', [b'Sent (MESSAGES 2 UIDNEXT 3)'])",
		"('OK', [b'CREATE completed']) ('OK', [b'RENAME completed']) ('OK', [b'DELETE completed'])",
		"OK ('OK', [b'2'])",
		"OK BYE",
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("imaplib printed %d lines, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}
