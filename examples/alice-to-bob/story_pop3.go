package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/pop3"
)

// bobPassword is Bob's mail-access password.
const bobPassword = "ketchup&pickles"

// startPOP3 starts mail.hamburger.edu's POP3 server (RFC 1939) over Bob's
// maildir: STLS (RFC 2595) before the password, the mailbox package's
// snapshot of the inbox as the maildrop.
func (w *world) startPOP3(cert tls.Certificate) error {
	l, err := net.Listen("tcp", bobMailAddr+":0")
	if err != nil {
		return err
	}
	w.pop3 = &pop3.Server{
		Hostname:      "mail.hamburger.edu",
		TLSConfig:     &tls.Config{Certificates: []tls.Certificate{cert}},
		Authenticator: pop3.Secrets{"bob": bobPassword},
		Backend: pop3.BackendFunc(func(ctx context.Context, user string) (pop3.Maildrop, error) {
			inbox, err := w.bobInbox()
			if err != nil {
				return nil, err
			}
			return inbox.Snapshot()
		}),
	}
	w.pop3Addr = l.Addr().String()
	go w.pop3.Serve(l)
	return nil
}

// bobInbox opens Bob's maildir inbox with the public mailbox package.
func (w *world) bobInbox() (*mailbox.Folder, error) {
	dir, err := w.bobBackend.Mailboxes().Path(bob.Addr)
	if err != nil {
		return nil, err
	}
	md, err := mailbox.Open(dir, mailbox.Options{Host: "mail.hamburger.edu", Create: true})
	if err != nil {
		return nil, err
	}
	return md.Inbox()
}

// readMail is Bob's user agent: POP3 with STLS, list, retrieve, delete.
// It returns the messages retrieved, with LF line ends.
func (s *story) readMail() []string {
	s.heading("Bob reads his mail with POP3")
	s.printf("  SMTP pushes mail to the receiver's server; Bob's user agent pulls it from there\n")
	s.printf("  with a mail access protocol: POP3 here (RFC 1939), IMAP next; webmail over HTTP\n")
	s.printf("  is the third way. It connects to mail.hamburger.edu's POP3 server, turns on TLS\n")
	s.printf("  (STLS, RFC 2595) before sending the password, lists, retrieves and deletes:\n\n")
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	var trace bytes.Buffer
	c, err := pop3.Dial(ctx, s.w.pop3Addr, &pop3.ClientConfig{Trace: &trace})
	if err != nil {
		s.stop("Bob's user agent connects to POP3", err)
		return nil
	}
	defer c.Close()
	var msgs []string
	err = c.StartTLS(ctx, s.w.bobTLS)
	if err == nil {
		err = c.Login(ctx, "bob", bobPassword)
	}
	var list []pop3.MessageInfo
	if err == nil {
		list, err = c.List(ctx)
	}
	for i := 0; err == nil && i < len(list); i++ {
		var b bytes.Buffer
		if _, err = c.Retr(ctx, list[i].Number, &b); err == nil {
			msgs = append(msgs, strings.ReplaceAll(b.String(), "\r\n", "\n"))
			err = c.Dele(ctx, list[i].Number)
		}
	}
	if err == nil {
		err = c.Quit(ctx)
	}
	if err != nil {
		s.stop("the POP3 session", err)
		return nil
	}
	for _, l := range strings.Split(strings.TrimRight(trace.String(), "\n"), "\n") {
		s.printf("    %s\n", l)
	}
	state, secure := c.TLSConnectionState()
	s.expect(secure && state.Version >= tls.VersionTLS12, "POP3 turned on TLS (STLS) before the password")
	inbox, err := s.w.bobInbox()
	left := -1
	if err == nil {
		var st mailbox.Status
		if st, err = inbox.Sync(); err == nil {
			left = st.Messages
		}
	}
	s.expect(len(msgs) == 2 && left == 0,
		fmt.Sprintf("Bob retrieved his two messages and deleted them at QUIT (%d left in the maildir)", left))
	return msgs
}
