package mailqueue

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/rfc5322"
)

type parsedDSN struct {
	header   *rfc5322.Header
	parts    []*multipart.Part
	bodies   [][]byte
	perMsg   textproto.MIMEHeader
	perRcpt  []textproto.MIMEHeader
	original []byte
}

// parseDSN takes a report apart with rfc5322 (the header) and the
// standard library (the MIME structure and the status fields).
func parseDSN(t *testing.T, msg []byte) parsedDSN {
	t.Helper()
	h, off, err := rfc5322.ParseHeader(msg)
	if err != nil {
		t.Fatalf("report header: %v\n%s", err, msg)
	}
	if err := rfc5322.Validate(h); err != nil {
		t.Fatalf("report header invalid: %v", err)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	d := parsedDSN{header: h}
	mr := multipart.NewReader(bytes.NewReader(msg[off:]), params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		d.parts = append(d.parts, p)
		d.bodies = append(d.bodies, b)
	}
	if len(d.parts) != 3 {
		t.Fatalf("%d parts, want 3", len(d.parts))
	}
	if ct := d.parts[1].Header.Get("Content-Type"); ct != "message/delivery-status" {
		t.Fatalf("second part is %q", ct)
	}
	// RFC 3464 2.1: per-message fields, then per-recipient groups,
	// separated by blank lines; the syntax is that of header fields.
	groups := strings.Split(strings.TrimRight(string(d.bodies[1]), "\r\n"), "\r\n\r\n")
	for i, g := range groups {
		tp := textproto.NewReader(bufioReader(g + "\r\n\r\n"))
		mh, err := tp.ReadMIMEHeader()
		if err != nil {
			t.Fatalf("status group %d: %v", i, err)
		}
		if i == 0 {
			d.perMsg = mh
		} else {
			d.perRcpt = append(d.perRcpt, mh)
		}
	}
	d.original = d.bodies[2]
	return d
}

func TestBounceContent(t *testing.T) {
	h := newHarness(t, Config{Hostname: "mq.example.org"})
	m := &Message{ID: 42}
	m.Envelope = Envelope{From: "alice@example.org", EnvID: "QQ314159", Ret: RetHdrs, Recipients: []Recipient{
		{Addr: "bob@example.com", ORCPT: "rfc822;bob@example.com"},
		{Addr: "carol@example.com"},
	}}
	m.Body = []byte("From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: lunch?\r\nMessage-ID: <orig@example.org>\r\n\r\nsecret body\r\n")
	m.State.Created = h.clock.Now()
	m.State.Rcpts = []RcptState{
		{Status: StatusFailed, Reply: "550 5.1.1 no such user", Enhanced: "5.1.1", RemoteMTA: "mx.example.com", Updated: h.clock.Now()},
		{Status: StatusFailed, Reply: "550 no", RemoteMTA: "mx.example.com", Updated: h.clock.Now()},
	}
	d := parseDSN(t, h.q.composeDSN(m, []int{0, 1}, actionFailed, "alice@example.org"))
	if got := d.header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Fatalf("Auto-Submitted %q", got)
	}
	if from, _ := d.header.AddressList("From"); len(from) != 1 || from[0].Addr != "MAILER-DAEMON@mq.example.org" {
		t.Fatalf("From %v", from)
	}
	if to, _ := d.header.AddressList("To"); len(to) != 1 || to[0].Addr != "alice@example.org" {
		t.Fatalf("To %v", to)
	}
	if d.perMsg.Get("Reporting-MTA") != "dns; mq.example.org" || d.perMsg.Get("Original-Envelope-Id") != "QQ314159" || d.perMsg.Get("Arrival-Date") == "" {
		t.Fatalf("per-message fields %v", d.perMsg)
	}
	if len(d.perRcpt) != 2 {
		t.Fatalf("%d recipient groups", len(d.perRcpt))
	}
	r0 := d.perRcpt[0]
	for k, v := range map[string]string{
		"Final-Recipient": "rfc822; bob@example.com", "Original-Recipient": "rfc822;bob@example.com",
		"Action": "failed", "Status": "5.1.1", "Remote-MTA": "dns; mx.example.com",
		"Diagnostic-Code": "smtp; 550 5.1.1 no such user",
	} {
		if r0.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, r0.Get(k), v)
		}
	}
	if d.perRcpt[1].Get("Status") != "5.0.0" {
		t.Errorf("status without enhanced code = %q", d.perRcpt[1].Get("Status"))
	}
	if ct := d.parts[2].Header.Get("Content-Type"); ct != "text/rfc822-headers" {
		t.Fatalf("third part %q", ct)
	}
	if strings.Contains(string(d.original), "secret body") || !strings.Contains(string(d.original), "Subject: lunch?") {
		t.Fatalf("RET=HDRS returned %q", d.original)
	}

	// RET=FULL within the limit returns the whole message.
	m.Envelope.Ret = RetFull
	d = parseDSN(t, h.q.composeDSN(m, []int{0}, actionFailed, "alice@example.org"))
	if ct := d.parts[2].Header.Get("Content-Type"); ct != "message/rfc822" || !bytes.Contains(d.original, []byte("secret body")) {
		t.Fatalf("RET=FULL part %q: %q", ct, d.original)
	}
	// Over the limit: headers only.
	h.q.cfg.BounceReturnLimit = 20
	d = parseDSN(t, h.q.composeDSN(m, []int{0}, actionFailed, "alice@example.org"))
	if ct := d.parts[2].Header.Get("Content-Type"); ct != "text/rfc822-headers" || len(d.original) > 20 {
		t.Fatalf("over-limit part %q: %q", ct, d.original)
	}
	// A sender the header cannot name as is still gets a parseable report.
	d = parseDSN(t, h.q.composeDSN(m, []int{0}, actionFailed, "\"odd..local\"@example.org"))
	if d.header.Get("Auto-Submitted") != "auto-replied" {
		t.Fatal("fallback header lacks Auto-Submitted")
	}
}

func TestBounceThroughQueue(t *testing.T) {
	h := newHarness(t, Config{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		if tg.Domain == "example.org" {
			return replies(len(txn.Recipients), Reply{Code: 250}), nil
		}
		return replies(len(txn.Recipients), Reply{Code: 550, Enhanced: "5.1.1", Text: "no such user"}), nil
	}
	h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	b := callsTo(h.dlv.snapshot(), "alice@example.org")
	if len(b) != 1 {
		t.Fatalf("%d bounces", len(b))
	}
	// RFC 5321 4.5.5: a notification goes out with the null reverse-path.
	if b[0].Txn.From != "" {
		t.Fatalf("bounce reverse-path %q", b[0].Txn.From)
	}
	d := parseDSN(t, b[0].Txn.Body)
	if d.perRcpt[0].Get("Final-Recipient") != "rfc822; bob@example.com" || d.perRcpt[0].Get("Status") != "5.1.1" {
		t.Fatalf("%v", d.perRcpt[0])
	}
	if h.q.Len() != 0 {
		t.Fatal("queue not empty")
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
