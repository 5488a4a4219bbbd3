package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/dmarc"
	"github.com/relaykit/relaykit/rfc5322"
	"github.com/relaykit/relaykit/smtp"
)

// authZoneRecords are the sender-authentication records crepes.fr
// publishes: SPF (RFC 7208: only Alice's server sends its mail), the DKIM
// key (RFC 6376 3.6.1, an Ed25519 key, RFC 8463) and the DMARC policy
// (RFC 7489: refuse what fails).
func authZoneRecords(pub ed25519.PublicKey) string {
	return `
@ 3600 TXT "v=spf1 ip4:` + aliceMailAddr + ` -all"
mail._domainkey 3600 TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(pub) + `"
_dmarc 3600 TXT "v=DMARC1; p=reject"`
}

// authBackend is Bob's server's SMTP backend with sender authentication
// in front of the mailbox: SPF at MAIL FROM, then DKIM and DMARC on the
// message after DATA (dmarc.Receiver). A message that fails a p=reject
// policy is refused with 550 5.7.1; one that passes is stored with an
// Authentication-Results field (RFC 8601) in front.
type authBackend struct {
	inner    smtp.Backend
	rc       *dmarc.Receiver
	verdicts chan *dmarc.Verdict
}

func (b *authBackend) NewSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	s, err := b.inner.NewSession(ctx, c)
	if err != nil {
		return nil, err
	}
	return &authSession{Session: s, b: b, c: c}, nil
}

type authSession struct {
	smtp.Session
	b   *authBackend
	c   *smtp.Conn
	env dmarc.Envelope
}

func (s *authSession) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	ip := netip.Addr{}
	if a, ok := s.c.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ = netip.AddrFromSlice(a.IP)
		ip = ip.Unmap()
	}
	s.env = dmarc.Envelope{IP: ip, Helo: s.c.Hello(), MailFrom: from}
	out := s.b.rc.CheckMailFrom(ctx, s.env)
	s.env.SPF = &out
	return s.Session.Mail(ctx, from, opts)
}

func (s *authSession) Data(ctx context.Context, r io.Reader) error {
	msg, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	v, err := s.b.rc.Evaluate(ctx, s.env, msg)
	if err != nil {
		return smtp.NewError(550, smtp.EnhancedCode{Class: 5, Subject: 6, Detail: 0}, "message header cannot be parsed")
	}
	s.b.verdicts <- v
	if v.Reject {
		code, _, text := v.Reply()
		return smtp.NewError(code, smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1}, text)
	}
	return s.Session.Data(ctx, io.MultiReader(bytes.NewReader(v.Field()), bytes.NewReader(msg)))
}

// Auth passes AUTH on to the inner session when it takes it.
func (s *authSession) Auth(ctx context.Context, mechanism, identity, username, password string) error {
	if a, ok := s.Session.(smtp.Authenticator); ok {
		return a.Auth(ctx, mechanism, identity, username, password)
	}
	return smtp.NewError(502, smtp.EnhancedCode{Class: 5, Subject: 5, Detail: 1}, "AUTH not available")
}

// waitVerdict waits for Bob's server's next authentication verdict.
func (s *story) waitVerdict(what string) (*dmarc.Verdict, bool) {
	select {
	case v := <-s.w.verdicts:
		return v, true
	case <-time.After(30 * time.Second):
		s.stop(what, errors.New("no verdict within 30 s"))
	case <-s.ctx.Done():
		s.stop(what, s.ctx.Err())
	}
	return nil, false
}

// authCheck shows what Bob's server found out about who sent the two
// messages it just received.
func (s *story) authCheck() {
	s.heading("Bob's server checks who sent them: SPF, DKIM, DMARC")
	s.printf("  crepes.fr publishes in DNS which server sends its mail (SPF), the public key its\n")
	s.printf("  server signs with (DKIM), and what to do with mail that proves neither (DMARC):\n\n")
	for _, l := range strings.Split(strings.TrimSpace(authZoneRecords(s.w.dkimKey.Public().(ed25519.PublicKey))), "\n") {
		owner, rest, _ := strings.Cut(l, " ")
		if owner == "@" {
			owner = "crepes.fr."
		} else {
			owner += ".crepes.fr."
		}
		s.printf("    %s %s\n", owner, rest)
	}
	s.printf("\n  Alice's queue signed each message as it took it (DKIM-Signature, Ed25519,\n")
	s.printf("  RFC 8463). For each of the two messages mail.hamburger.edu checked:\n\n")
	allPass := true
	var last *dmarc.Verdict
	for i := 0; i < 2; i++ {
		v, ok := s.waitVerdict("verdict on Alice's message")
		if !ok {
			return
		}
		last = v
		dk := "none"
		if len(v.DKIM) > 0 {
			dk = string(v.DKIM[0].Status)
			if v.DKIM[0].Signature != nil {
				dk += fmt.Sprintf(" (d=%s s=%s)", v.DKIM[0].Signature.Domain, v.DKIM[0].Signature.Selector)
			}
		}
		s.printf("    message %d: SPF %s for %s from %s; DKIM %s; DMARC %s\n",
			i+1, v.SPF.Result, v.SPF.Domain, aliceMailAddr, dk, v.DMARC.Result)
		allPass = allPass && v.SPF.Result == "pass" && len(v.DKIM) == 1 && v.DKIM[0].Status == dkim.Pass &&
			v.DMARC.Result == "pass" && !v.Reject
	}
	s.expect(allPass, "both of Alice's messages pass SPF, DKIM and DMARC at hamburger.edu")
	s.printf("\n  The result goes in front of each stored message (RFC 8601):\n\n")
	s.indent(strings.TrimRight(string(last.Field()), "\r\n"))
}

// forgery is someone else pretending to be Alice: a message with From:
// alice@crepes.fr sent straight to Bob's server from another host.
func (s *story) forgery() {
	s.heading("Someone pretends to be Alice")
	const forger = "127.0.0.66"
	s.printf("  A host at %s (mallory.example) connects to mail.hamburger.edu itself and\n", forger)
	s.printf("  sends a message with From: Alice <alice@crepes.fr>, unsigned, with its own\n")
	s.printf("  address as the envelope sender:\n\n")
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{alice},
		To:      []rfc5322.Address{bob},
		Subject: "Please send me your password",
		Body:    []byte("It's me, Alice. Really.\r\n"),
		Now:     s.w.clock.Now,
	}
	msg, _, err := b.Message()
	if err != nil {
		s.stop("forged message composed", err)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(forger)}}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(bobMailAddr, fmt.Sprint(s.w.port)))
	if err != nil {
		s.stop("the forger connects", err)
		return
	}
	rec := &recConn{Conn: raw, client: true}
	c, err := smtp.NewClient(ctx, rec, "mail.hamburger.edu", &smtp.ClientConfig{LocalName: "mallory.example"})
	if err != nil {
		raw.Close()
		s.stop("mail.hamburger.edu greets the forger", err)
		return
	}
	defer c.Close()
	_, sendErr := c.SendMail(ctx, "mallory@mallory.example", []string{bob.Addr}, bytes.NewReader(msg), nil)
	c.Quit(ctx)
	for _, l := range rec.Lines() {
		if strings.HasPrefix(l, "C: ") && !isCommand(l[3:]) {
			continue
		}
		s.printf("    %s\n", l)
	}
	v, ok := s.waitVerdict("verdict on the forgery")
	if !ok {
		return
	}
	s.printf("\n  SPF %s for mallory.example (it publishes nothing), no DKIM signature, so nothing\n", v.SPF.Result)
	s.printf("  ties the message to crepes.fr, whose DMARC policy says reject: %s.\n", v.DMARC.Result)
	var se *smtp.Error
	refused := sendErr != nil && errors.As(sendErr, &se) && se.Code == 550 && se.Enhanced == smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1}
	s.expect(v.Reject && refused, "the forged From: alice@crepes.fr is refused with 550 5.7.1 (DMARC p=reject)")
	s.expect(strings.Contains(v.Reason, "crepes.fr"), "the refusal says why: "+v.Reason)
}
