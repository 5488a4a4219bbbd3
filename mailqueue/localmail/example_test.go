package localmail_test

import (
	"context"
	"fmt"
	"net"
	netsmtp "net/smtp"
	"os"
	"path/filepath"
	"strings"

	"github.com/relaykit/relaykit/mailqueue/localmail"
	"github.com/relaykit/relaykit/smtp"
)

// An MX for example.test: mail for its users goes into their Maildirs and
// is acknowledged once on disk; mail for other domains is refused, since
// the Backend has no queue (and a client would need AUTH or a trusted
// address to relay even then).
func ExampleNewBackend() {
	root, _ := os.MkdirTemp("", "localmail")
	defer os.RemoveAll(root)
	boxes := &localmail.Mailboxes{Root: root, Domains: []string{"example.test"}}
	b := localmail.NewBackend(localmail.Config{Hostname: "mx.example.test", Mailboxes: boxes})
	defer b.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &smtp.Server{Backend: b, Hostname: "mx.example.test"}
	go srv.Serve(l)
	defer srv.Close()

	msg := "From: alice@elsewhere.test\r\nTo: bob@example.test\r\nSubject: hi\r\n\r\nHello Bob.\r\n"
	err = netsmtp.SendMail(l.Addr().String(), nil, "alice@elsewhere.test", []string{"bob@example.test"}, []byte(msg))
	fmt.Println("to bob:", err)
	err = netsmtp.SendMail(l.Addr().String(), nil, "alice@elsewhere.test", []string{"carol@other.test"}, []byte(msg))
	fmt.Println("to carol:", err)

	got, _ := boxes.Messages("bob@example.test")
	dir, _ := boxes.Path("bob@example.test")
	fmt.Println(len(got), "message in", strings.TrimPrefix(dir, root+string(filepath.Separator)))
	fmt.Printf("%q\n", strings.SplitAfter(string(got[0]), "\n")[:2])
	// Output:
	// to bob: <nil>
	// to carol: 554 "5.7.1 <carol@other.test>: Relay access denied"
	// 1 message in example.test/bob
	// ["Return-Path: <alice@elsewhere.test>\n" "Delivered-To: bob@example.test\n"]
}

// A Writer delivers into Maildirs outside an SMTP session (a local
// delivery agent, an import): concurrent deliveries share their flushes.
func ExampleWriter() {
	root, _ := os.MkdirTemp("", "localmail")
	defer os.RemoveAll(root)
	w := localmail.NewWriter(&localmail.Mailboxes{Root: root})
	defer w.Close()
	files, err := w.Deliver(context.Background(), "alice@example.test",
		[]string{"bob@example.test", "carol@example.test"}, []byte("Subject: hi\r\n\r\nHello.\r\n"))
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		fmt.Println(filepath.Dir(rel))
	}
	// Output:
	// example.test/bob/new
	// example.test/carol/new
}
