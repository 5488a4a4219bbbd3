package rfc5322_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/relaykit/relaykit/rfc5322"
)

func ExampleParseHeader() {
	msg := []byte("Received: from a.example by b.example;\r\n" +
		"\tThu, 26 Nov 2026 09:14:07 +0100\r\n" +
		"From: =?UTF-8?Q?Alice_Mart=C3=ADn?= <alice@crepes.example>\r\n" +
		"To: Bob <bob@example.org>, \"Carol O'Neil\" <carol@example.org>\r\n" +
		"Subject: =?UTF-8?Q?Cr=C3=AApes?= on Saturday\r\n" +
		"Date: Thu, 26 Nov 2026 09:14:04 +0100\r\n" +
		"\r\n" +
		"Bonjour!\r\n")
	h, body, err := rfc5322.ParseHeader(msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Len(), "fields; body:", strings.TrimSpace(string(msg[body:])))

	// Raw bytes, as signed by DKIM, and the unfolded value.
	f, _ := h.Lookup("received")
	fmt.Printf("%q\n", f.Raw())
	fmt.Println(f.Value())

	subject, _ := h.Field(3).Text()
	fmt.Println("Subject:", subject)
	from, _ := h.AddressList("From")
	fmt.Printf("From: %q <%s>\n", from[0].Name, from[0].Addr)
	to, _ := h.AddressList("To")
	for _, a := range to {
		fmt.Printf("To: %q <%s>\n", a.Name, a.Addr)
	}
	date, _ := rfc5322.ParseDate(h.Get("Date"))
	fmt.Println(date.UTC())
	fmt.Println("valid:", rfc5322.Validate(h) == nil)
	// Output:
	// 5 fields; body: Bonjour!
	// "Received: from a.example by b.example;\r\n\tThu, 26 Nov 2026 09:14:07 +0100\r\n"
	// from a.example by b.example;	Thu, 26 Nov 2026 09:14:07 +0100
	// Subject: Crêpes on Saturday
	// From: "Alice Martín" <alice@crepes.example>
	// To: "Bob" <bob@example.org>
	// To: "Carol O'Neil" <carol@example.org>
	// 2026-11-26 08:14:04 +0000 UTC
	// valid: true
}

func ExampleBuilder() {
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{{Name: "Alice Martín", Addr: "alice@crepes.example"}},
		To:      []rfc5322.Address{{Name: "Bob", Addr: "bob@example.org"}},
		Bcc:     []rfc5322.Address{{Addr: "archive@crepes.example"}},
		Subject: "Crêpes on Saturday",
		Body:    []byte("See you at noon.\r\n"),
		// Fixed clock and randomness so the output is reproducible;
		// leave them nil in real use.
		Now:  func() time.Time { return time.Date(2026, 11, 26, 9, 14, 4, 0, time.FixedZone("", 3600)) },
		Rand: bytes.NewReader(make([]byte, 10)),
	}
	b.Header.Add("MIME-Version", "1.0")
	b.Header.Add("Content-Type", "text/plain; charset=utf-8")
	msg, info, err := b.Message()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(string(msg), "\r\n", "\n"))
	fmt.Println("---")
	fmt.Println("envelope recipients:", info.Recipients)
	fmt.Println("needs 8BITMIME:", info.Body.EightBit)
	// Output:
	// Date: Thu, 26 Nov 2026 09:14:04 +0100
	// From: =?utf-8?q?Alice_Mart=C3=ADn?= <alice@crepes.example>
	// To: Bob <bob@example.org>
	// Subject: =?utf-8?q?Cr=C3=AApes?= on Saturday
	// Message-ID: <aaaaaaaaaaaaaaaa.dn4zqfis4rgg@crepes.example>
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=utf-8
	//
	// See you at noon.
	// ---
	// envelope recipients: [bob@example.org archive@crepes.example]
	// needs 8BITMIME: false
}

func ExampleParseAddressList() {
	list, err := rfc5322.ParseAddressList(`Pete(A nice \) chap) <pete(his account)@silly.test(his host)>, ` +
		`A Group(Some people):Chris Jones <c@(Chris's host.)public.example>, joe@example.org;`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range list {
		fmt.Println(a)
	}
	// Output:
	// Pete <pete@silly.test>
	// Chris Jones <c@public.example>
	// joe@example.org
}

func ExampleValidate() {
	h, _, _ := rfc5322.ParseHeader([]byte("From: a@example.org, b@example.org\r\nSubject: one\r\nSubject: two\r\n\r\n"))
	err := rfc5322.Validate(h)
	fmt.Println(errors.Is(err, rfc5322.ErrMissingDate), errors.Is(err, rfc5322.ErrRepeatedField), errors.Is(err, rfc5322.ErrSenderRequired))
	// Output: true true true
}

func ExampleHeader_AppendHeader() {
	var h rfc5322.Header
	h.Add("Subject", strings.Repeat("folded ", 14)+"here")
	h.Add("X-Tag", "a")
	out, err := h.AppendHeader(nil)
	fmt.Printf("%s%v\n", bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")), err)
	// Output:
	// Subject: folded folded folded folded folded folded folded folded folded folded
	//  folded folded folded folded here
	// X-Tag: a
	// <nil>
}

// A lenient Parser keeps a message whose header strict parsing refuses
// (here one without the empty line after it) and says what was wrong.
func ExampleParser_lenient() {
	msg := "From: alice@example.org\r\nSubject: hi\r\nno empty line before this body\r\n"
	p := rfc5322.Parser{Lenient: true}
	m, err := p.ReadMessage(strings.NewReader(msg))
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(m.Body)
	fmt.Println(m.Header.Len(), m.Header.Get("Subject"))
	fmt.Printf("%q\n", body)
	fmt.Println(m.Header.Defects())
	// Output:
	// 2 hi
	// "no empty line before this body\r\n"
	// [rfc5322: header at offset 38: line is not a field: the header ends before it (rfc5322: malformed header field)]
}

// A server reads one message after another into one Header, which
// allocates nothing once its buffers have grown.
func ExampleParser_ReadHeaderInto() {
	var p rfc5322.Parser
	var h rfc5322.Header
	br := bufio.NewReader(nil)
	for _, msg := range []string{"From: a@example.org\r\n\r\none", "From: b@example.org\r\nTo: c@example.org\r\n\r\ntwo"} {
		br.Reset(strings.NewReader(msg))
		if err := p.ReadHeaderInto(&h, br); err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(br)
		fmt.Println(h.Get("From"), h.Len(), string(body))
	}
	// Output:
	// a@example.org 1 one
	// b@example.org 2 two
}
