package imap

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFetchBodiesReuseBuffer: a session reads every message into one
// buffer it reuses (small ones kept, one larger than keepBody not). The
// bodies FETCH returns, in any order and mixed with items that read the
// header (cached) and the MIME tree, are each message's own octets, and
// a MessageReader mailbox answers exactly as an Open-only one does,
// without Open.
func TestFetchBodiesReuseBuffer(t *testing.T) {
	msgs := []string{
		msg1,
		"From: big@example.org\r\nSubject: big\r\n\r\n" + strings.Repeat("0123456789abcdef needle in a large body\r\n", 6000), // > keepBody
		msg2,
		"From: m@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gbmVlZGxl\r\n--b--\r\n",
		"Subject: tiny\r\n\r\nx\r\n",
	}
	cmds := []string{
		"FETCH 1:* (BODY.PEEK[] ENVELOPE)",
		"FETCH 5,2,1,4,3 (BODY.PEEK[TEXT]<0.20> BODYSTRUCTURE)",
		"FETCH 4 (BINARY.PEEK[1] BODY.PEEK[1])",
		"SEARCH BODY needle",
		"FETCH 3,2 RFC822",
	}
	run := func(readTo bool) (lines []string, opens, readsTo int) {
		ts := startServer(t, nil)
		ts.be.readTo = readTo
		c := ts.inbox(t, msgs)
		for i, cmd := range cmds {
			lines = append(lines, c.do("b"+strconv.Itoa(i), cmd)...)
		}
		ts.be.mu.Lock()
		defer ts.be.mu.Unlock()
		return lines, ts.be.opens, ts.be.readsTo
	}
	opened, opens, _ := run(false)
	read, readOpens, readsTo := run(true)
	if diff := cmp.Diff(opened, read); diff != "" {
		t.Errorf("Open-only vs MessageReader mailbox: -Open +MessageReader\n%s", diff)
	}
	if opens == 0 || readOpens != 0 || readsTo == 0 {
		t.Errorf("Open calls %d (Open-only), %d (MessageReader, with %d ReadMessageTo): want the reader used alone", opens, readOpens, readsTo)
	}
	all := strings.Join(read, "\r\n")
	for i, m := range msgs {
		want := fmt.Sprintf("* %d FETCH (BODY[] {%d}\r\n%s ENVELOPE (", i+1, len(m), m)
		if !strings.Contains(all, want) {
			t.Errorf("message %d: its BODY[] is not its own octets", i+1)
		}
	}
	for _, want := range []string{
		"* SEARCH 2 4\r\n", // 4: "needle" in a base64 text part
		fmt.Sprintf("* 3 FETCH (RFC822 {%d}\r\n%s", len(msgs[2]), msgs[2]),
		fmt.Sprintf("* 2 FETCH (RFC822 {%d}\r\n%s", len(msgs[1]), msgs[1]),
		"* 4 FETCH (BINARY[1] {12}\r\nhello needle BODY[1] {16}\r\naGVsbG8gbmVlZGxl)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("transcript lacks %.90q", want)
		}
	}
}
