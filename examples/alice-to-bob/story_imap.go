package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/imapstore"
	"github.com/relaykit/relaykit/mailbox"
)

// bobIMAP is mail.hamburger.edu's IMAP backend: Bob's password, then his
// maildir through imapstore.
type bobIMAP struct{ w *world }

func (b bobIMAP) Login(ctx context.Context, _ imap.ConnInfo, user, password string) (imap.User, error) {
	if user != "bob" || password != bobPassword {
		return nil, imap.ErrAuthFailed
	}
	dir, err := b.w.bobBackend.Mailboxes().Path(bob.Addr)
	if err != nil {
		return nil, err
	}
	md, err := mailbox.Open(dir, mailbox.Options{Host: "mail.hamburger.edu", Create: true})
	if err != nil {
		return nil, err
	}
	return imapstore.NewUser(md), nil
}

// startIMAP starts mail.hamburger.edu's IMAP server (RFC 9051) with
// implicit TLS, as on port 993 (RFC 8314).
func (w *world) startIMAP(cert tls.Certificate) error {
	l, err := net.Listen("tcp", bobMailAddr+":0")
	if err != nil {
		return err
	}
	w.imap = &imap.Server{
		Hostname:  "mail.hamburger.edu",
		Backend:   bobIMAP{w},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		// A session in IDLE looks for new mail this often.
		IdlePoll: 20 * time.Millisecond,
	}
	w.imapAddr = l.Addr().String()
	go w.imap.Serve(tls.NewListener(l, w.imap.TLSConfig))
	return nil
}

// phone is Bob's phone: an IMAP client that waits in IDLE, sees Alice's
// new message arrive, reads it and flags it.
func (s *story) phone() {
	s.heading("Bob's phone: IMAP, with IDLE")
	s.printf("  POP3 downloads and deletes; IMAP (RFC 9051) keeps the mail on the server, in\n")
	s.printf("  folders, with flags, for several devices at once. Bob's phone logs in over TLS\n")
	s.printf("  (port 993 style), selects INBOX and waits in IDLE (RFC 2177) for new mail, while\n")
	s.printf("  Alice sends one more message:\n\n")
	ctx, cancel := context.WithTimeout(s.ctx, 60*time.Second)
	defer cancel()
	var d tls.Dialer
	d.Config = s.w.bobTLS
	raw, err := d.DialContext(ctx, "tcp", s.w.imapAddr)
	if err != nil {
		s.stop("Bob's phone connects", err)
		return
	}
	rec := &recConn{Conn: raw, client: true}
	c, err := imap.NewClient(rec)
	if err != nil {
		raw.Close()
		s.stop("the IMAP greeting", err)
		return
	}
	defer c.Close()
	var sel *imap.SelectData
	if err = c.Login("bob", bobPassword); err == nil {
		sel, err = c.Select("INBOX", false)
	}
	if err != nil {
		s.stop("IMAP login and SELECT", err)
		return
	}
	s.expect(sel != nil, "Bob's phone logs in over TLS and selects INBOX")
	// While the phone idles, Alice's next message is submitted and
	// delivered.
	sent := make(chan error, 1)
	go func() {
		msg, err := s.composeMessage(bob, "See you on Friday", "I'll bring dessert.\n")
		if err == nil && !s.submit(msg, bob.Addr, false) {
			err = errors.New("submission failed")
		}
		sent <- err
	}()
	var exists uint32
	err = c.Idle(ctx, func(r *imap.Response) bool {
		if r.Tag == "*" && len(r.Fields) == 2 && strings.EqualFold(r.Fields[1].Atom, "EXISTS") {
			fmt.Sscan(r.Fields[0].Atom, &exists)
			return exists > 0
		}
		return false
	})
	if err == nil {
		err = <-sent
	}
	if err != nil {
		s.stop("the phone sees the new message", err)
		return
	}
	if _, ok := s.waitAttempt("delivery of the third message"); !ok {
		return
	}
	if _, ok := s.waitVerdict("verdict on the third message"); !ok {
		return
	}
	all := imap.SeqSet{Ranges: []imap.Range{{Start: 1, Stop: imap.Star}}}
	var got []*imap.FetchData
	if got, err = c.Fetch(all, "(FLAGS BODY[TEXT])"); err == nil {
		if err = c.Store(all, imap.StoreAdd, []string{`\Flagged`}); err == nil {
			err = c.Logout()
		}
	}
	if err != nil {
		s.stop("the phone reads and flags the message", err)
		return
	}
	for _, l := range rec.Lines() {
		if i := strings.Index(l, " AUTHENTICATE PLAIN "); i >= 0 {
			l = l[:i] + " AUTHENTICATE PLAIN <credentials hidden>"
		}
		s.printf("    %s\n", l)
	}
	s.expect(exists == 1 && len(got) == 1 && strings.Contains(string(got[0].Sections["BODY[TEXT]"]), "I'll bring dessert."),
		"Bob's phone, in IDLE, is told of the new message (EXISTS) and reads it")
	inbox, err := s.w.bobInbox()
	flags := ""
	if err == nil {
		if _, err = inbox.Sync(); err == nil && len(inbox.Messages()) == 1 {
			flags = inbox.Messages()[0].Flags.String()
		}
	}
	s.printf("\n  On the server the message stays, with its flags in the maildir file name: %q\n", flags)
	s.expect(flags == "FS", "the message is kept on the server, marked Seen and Flagged")
}
