//go:build interop

package rfc5322

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Interop with CPython's email package (policy.default, the RFC 5322 and
// RFC 2047 implementation Python ships): each side reads what the other
// writes.

func python(t *testing.T, script string, stdin []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	cmd := exec.Command("python3", "-c", script)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.Bytes())
	}
	return out
}

type pyAddr struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
}

type pyView struct {
	From    []pyAddr `json:"from"`
	To      []pyAddr `json:"to"`
	Cc      []pyAddr `json:"cc"`
	Subject string   `json:"subject"`
	Date    string   `json:"date"`
	ID      string   `json:"id"`
	Body    string   `json:"body"`
	Defects []string `json:"defects"`
}

const pyRead = `
import sys, json
from email import policy
from email.parser import Parser
# RFC 6532 headers are UTF-8; Python's BytesParser would take them as
# undecodable bytes, its str Parser reads them.
m = Parser(policy=policy.default).parsestr(sys.stdin.buffer.read().decode("utf-8"))
def addrs(name):
    h = m[name]
    if h is None:
        return []
    return [{"name": a.display_name, "addr": a.addr_spec} for a in h.addresses]
defects = [type(d).__name__ for d in m.defects]
for k in m.keys():
    defects += [type(d).__name__ for d in m[k].defects]
print(json.dumps({"from": addrs("From"), "to": addrs("To"), "cc": addrs("Cc"),
    "subject": str(m["Subject"]), "date": m["Date"].datetime.isoformat(),
    "id": str(m["Message-ID"]), "body": m.get_payload(), "defects": defects}))
`

func TestInteropPythonReadsBuilder(t *testing.T) {
	for _, utf8 := range []bool{false, true} {
		b := &Builder{
			From: []Address{{Name: "Alice Martín", Addr: "alice@crepes.example"}},
			To: []Address{{Name: "Bob", Addr: "bob@example.org"}, {Name: "Doe, John", Addr: "jdoe@example.org"},
				{Name: "Éric \"le chef\" Dupont", Addr: "eric@crepes.example"}, {Addr: "dave@example.org"}},
			Cc:      []Address{{Name: "日本 語", Addr: "nihongo@example.jp"}},
			Subject: strings.Repeat("Recette des crêpes — à midi? ", 4) + "fin",
			Body:    []byte("Bonjour\r\n"),
			Date:    time.Date(2026, 11, 26, 9, 14, 4, 0, time.FixedZone("", 3600)),
			UTF8:    utf8,
		}
		msg, info, err := b.Message()
		if err != nil {
			t.Fatal(err)
		}
		var v pyView
		if err := json.Unmarshal(python(t, pyRead, msg), &v); err != nil {
			t.Fatal(err)
		}
		conv := func(l []Address) []pyAddr {
			var out []pyAddr
			for _, a := range l {
				out = append(out, pyAddr{a.Name, a.Addr})
			}
			return out
		}
		if !reflect.DeepEqual(v.From, conv(b.From)) || !reflect.DeepEqual(v.To, conv(b.To)) || !reflect.DeepEqual(v.Cc, conv(b.Cc)) {
			t.Errorf("utf8=%v: python reads addresses\n%+v\n%+v\n%+v\nfrom\n%s", utf8, v.From, v.To, v.Cc, msg)
		}
		if v.Subject != b.Subject || v.ID != info.MessageID || v.Date != "2026-11-26T09:14:04+01:00" || strings.TrimRight(v.Body, "\r\n") != "Bonjour" {
			t.Errorf("utf8=%v: python reads %+v", utf8, v)
		}
		if len(v.Defects) > 0 {
			t.Errorf("utf8=%v: python reports defects %v in\n%s", utf8, v.Defects, msg)
		}
	}
}

const pyWrite = `
from email.message import EmailMessage
from email import policy
from email.utils import format_datetime
import datetime, sys
m = EmailMessage()
m['From'] = 'Alice Martín <alice@crepes.example>'
m['To'] = 'Bob <bob@example.org>, "Doe, John" <jdoe@example.org>, Éric Dupont <eric@crepes.example>, Friends: a@example.org, b@example.org;'
m['Subject'] = 'Recette des crêpes pour samedi — on se retrouve à midi? ' * 3
m['Date'] = format_datetime(datetime.datetime(2026, 11, 26, 9, 14, 4, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))))
m['Message-ID'] = '<1234.5678@crepes.example>'
m.set_content('Bonjour\n')
sys.stdout.buffer.write(m.as_bytes(policy=policy.SMTP))
`

func TestInteropReadPythonMessage(t *testing.T) {
	msg := python(t, pyWrite, nil)
	h, n, err := ParseHeader(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(h); err != nil {
		t.Errorf("Validate: %v", err)
	}
	from, err := h.AddressList("From")
	if err != nil || !reflect.DeepEqual(from, []Address{{"Alice Martín", "alice@crepes.example"}}) {
		t.Errorf("From %q, %v", from, err)
	}
	to, err := h.AddressList("To")
	want := []Address{{"Bob", "bob@example.org"}, {"Doe, John", "jdoe@example.org"}, {"Éric Dupont", "eric@crepes.example"},
		{"", "a@example.org"}, {"", "b@example.org"}}
	if err != nil || !reflect.DeepEqual(to, want) {
		t.Errorf("To %q, %v", to, err)
	}
	f, _ := h.Lookup("Subject")
	if s, err := f.Text(); err != nil || s != strings.TrimSpace(strings.Repeat("Recette des crêpes pour samedi — on se retrouve à midi? ", 3)) {
		t.Errorf("Subject %q, %v", s, err)
	}
	if d, err := ParseDate(h.Get("Date")); err != nil || d.Format(time.RFC3339) != "2026-11-26T09:14:04-05:00" {
		t.Errorf("Date %v, %v", d, err)
	}
	if id, err := ParseMsgID(h.Get("Message-ID")); err != nil || id != "1234.5678@crepes.example" {
		t.Errorf("Message-ID %q, %v", id, err)
	}
	if string(msg[n:]) != "Bonjour\r\n" {
		t.Errorf("body %q", msg[n:])
	}
}
