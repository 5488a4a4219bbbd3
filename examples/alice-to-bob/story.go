package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/localmail"
	"github.com/relaykit/relaykit/mime"
	"github.com/relaykit/relaykit/resolver"
	"github.com/relaykit/relaykit/rfc5322"
	"github.com/relaykit/relaykit/smtp"
)

// story tells what happens and checks that it did.
type story struct {
	w       *world
	out     io.Writer
	verbose bool
	ctx     context.Context
	checks  []check
	step    int
	failed  bool // a step could not go on; later steps are skipped
	// submissions counts the messages Alice's user agent submitted.
	submissions int
}

type check struct {
	name string
	ok   bool
}

var (
	alice = rfc5322.Address{Name: "Alice", Addr: "alice@crepes.fr"}
	bob   = rfc5322.Address{Name: "Bob", Addr: "bob@hamburger.edu"}
)

func (s *story) heading(title string) {
	s.step++
	fmt.Fprintf(s.out, "\n== %d. %s\n\n", s.step, title)
}

func (s *story) printf(format string, args ...any) {
	fmt.Fprintf(s.out, format, args...)
}

// indent prints text with every line indented.
func (s *story) indent(text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\r\n"), "\n") {
		fmt.Fprintf(s.out, "    %s\n", strings.TrimRight(l, "\r"))
	}
}

// expect records a check; a failed one is printed at once.
func (s *story) expect(ok bool, name string) bool {
	s.checks = append(s.checks, check{name, ok})
	if !ok {
		fmt.Fprintf(s.out, "  !! expected: %s\n", name)
	}
	return ok
}

// stop records a step that could not be done and skips the rest.
func (s *story) stop(name string, err error) {
	s.expect(false, fmt.Sprintf("%s (%v)", name, err))
	s.failed = true
}

func (s *story) summary() int {
	s.heading("Did everything happen as told?")
	bad := 0
	for _, c := range s.checks {
		mark := "ok  "
		if !c.ok {
			mark = "FAIL"
			bad++
		}
		fmt.Fprintf(s.out, "  [%s] %s\n", mark, c.name)
	}
	if bad > 0 || s.failed || len(s.checks) == 0 {
		fmt.Fprintf(s.out, "\n%d of %d checks failed.\n", bad, len(s.checks))
		return 1
	}
	fmt.Fprintf(s.out, "\nAll %d checks passed: the mail got through.\n", len(s.checks))
	return 0
}

func (s *story) tell() {
	for _, step := range []func(){
		s.setup, s.registrar, s.compose, s.firstAttempt, s.secondMessage, s.retry, s.authCheck, s.forgery, s.bounce, s.giveUp, s.mailbox, s.phone, s.localDNS, s.secureTransport,
	} {
		if s.failed {
			return
		}
		step()
	}
}

func (s *story) setup() {
	w := s.w
	s.heading("A small Internet on loopback")
	s.printf("  DNS (every server on port %d):\n", w.dns.Port())
	for _, l := range [][2]string{
		{rootAddr, "a.root-servers.net   the root: delegates fr. and edu."},
		{frAddr, "d.nic.fr             fr.: delegates crepes.fr"},
		{eduAddr, "ns.edu               edu.: does not know hamburger.edu yet"},
		{crepesDNS, "ns.crepes.fr         crepes.fr: MX 10 mail.crepes.fr"},
		{hamburgerDNS, "ns.hamburger.edu     hamburger.edu: MX 10 mail.hamburger.edu, www (an alias)"},
		{localDNSAddr, "(local DNS server)   crepes.fr's caching resolver, for Alice's laptop"},
	} {
		s.printf("    %-11s %s\n", l[0], l[1])
	}
	s.printf("  Mail (SMTP on port %d, standing in for port 25):\n", w.port)
	s.printf("    %-11s mail.crepes.fr       Alice's server: submission on %s (TLS, AUTH),\n", aliceMailAddr, w.submissionAddr())
	s.printf("    %-11s                      a durable queue, a resolver that starts at the root\n", "")
	s.printf("    %-11s mail.hamburger.edu   Bob's server: mailbox bob@hamburger.edu (down for now)\n", bobMailAddr)
	s.printf("  The queue's clock is simulated: it starts at %s.\n", w.clock.Now().Format(time.RFC1123))
}

// composeMessage writes a message from Alice with rfc5322.Builder.
func (s *story) composeMessage(to rfc5322.Address, subject, body string) ([]byte, error) {
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{alice},
		To:      []rfc5322.Address{to},
		Subject: subject,
		Body:    []byte(strings.ReplaceAll(body, "\n", "\r\n")),
		Now:     s.w.clock.Now,
	}
	msg, _, err := b.Message()
	return msg, err
}

// pickles is the small file Alice attaches to her first message.
const pickles = "Pickles: cucumbers, dill, garlic, vinegar.\n"

func (s *story) compose() {
	s.heading("Alice writes to Bob")
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{alice},
		To:      []rfc5322.Address{bob},
		Subject: "Do you like ketchup?",
		Now:     s.w.clock.Now,
	}
	// A MIME message (RFC 2045-2049): a text part and an attachment
	// whose file name is not ASCII (RFC 2231).
	body := mime.Mixed(
		mime.Text("How about pickles?\nThe recipe is attached.\n"),
		mime.Attachment("cornichons-à-l'aneth.txt", "text/plain", []byte(pickles)),
	)
	err := body.Compose(b)
	var msg []byte
	if err == nil {
		msg, _, err = b.Message()
	}
	if err != nil {
		s.stop("Alice's message composed", err)
		return
	}
	s.printf("  Her user agent composes the message (RFC 5322: Date, From, To, Subject, Message-ID)\n")
	s.printf("  with a text part and an attachment (MIME, RFC 2045-2049; the file name, not ASCII,\n")
	s.printf("  is encoded as RFC 2231 says):\n\n")
	s.indent(string(msg))
	h, _, err := rfc5322.ParseHeader(msg)
	if err == nil {
		err = rfc5322.Validate(h)
	}
	s.expect(err == nil, "Alice's message is a valid RFC 5322 message")
	s.printf("\n  It submits it to mail.crepes.fr (RFC 6409 submission over implicit TLS, RFC 8314,\n")
	s.printf("  with AUTH PLAIN; the dialogue as Alice's user agent saw it):\n\n")
	if !s.submit(msg, bob.Addr, true) {
		return
	}
}

// submit is Alice's user agent: connect to the submission port with
// implicit TLS (RFC 8314: trusting mail.crepes.fr's certificate), AUTH
// PLAIN, send. The transcript is recorded at the user agent's end, inside
// TLS, so it can be printed in clear.
func (s *story) submit(msg []byte, to string, show bool) bool {
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", s.w.submissionAddr())
	if err != nil {
		s.stop("Alice's user agent connects", err)
		return false
	}
	tc := tls.Client(raw, s.w.uaTLS)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		s.stop("TLS with mail.crepes.fr", err)
		return false
	}
	st := tc.ConnectionState()
	rec := &recConn{Conn: tc, client: true}
	c, err := smtp.NewClient(ctx, rec, "mail.crepes.fr", &smtp.ClientConfig{LocalName: "alice-laptop.crepes.fr"})
	if err != nil {
		tc.Close()
		s.stop("mail.crepes.fr greets Alice's user agent", err)
		return false
	}
	defer c.Close()
	if err := c.Auth(ctx, smtp.Auth{Mechanism: "PLAIN", Username: "alice", Password: alicePassword}); err != nil {
		s.stop("AUTH PLAIN as alice", err)
		return false
	}
	res, err := c.SendMail(ctx, alice.Addr, []string{to}, bytes.NewReader(msg), nil)
	if err != nil || res.Accepted() != 1 {
		s.stop("mail.crepes.fr accepts the submission", err)
		return false
	}
	c.Quit(ctx)
	s.submissions++
	s.expect(true, fmt.Sprintf("submission %d (to %s) over TLS with AUTH accepted", s.submissions, to))
	if show {
		s.printf("    (TLS %s from the first byte, certificate for %s verified; inside it:)\n",
			tlsVersion(st.Version), st.PeerCertificates[0].Subject.CommonName)
		for _, l := range rec.Lines() {
			if !s.verbose && strings.HasPrefix(l, "C: ") && !isCommand(l[3:]) {
				continue // the message itself was printed above
			}
			s.printf("    %s\n", l)
		}
	}
	return true
}

// isCommand reports whether a client line is an SMTP command (not message
// data).
func isCommand(l string) bool {
	verb, _, _ := strings.Cut(l, " ")
	switch strings.ToUpper(strings.TrimRight(verb, ":")) {
	case "EHLO", "HELO", "MAIL", "RCPT", "DATA", "AUTH", "QUIT", "RSET", "NOOP", "STARTTLS", "BDAT", ".":
		return true
	}
	return false
}

func tlsVersion(v uint16) string {
	switch v {
	case 0x0304:
		return "1.3"
	case 0x0303:
		return "1.2"
	}
	return fmt.Sprintf("0x%04x", v)
}

// waitAttempt waits for the queue's next delivery attempt.
func (s *story) waitAttempt(what string) (attempt, bool) {
	select {
	case a := <-s.w.attempts:
		return a, true
	case <-time.After(30 * time.Second):
		s.stop(what, errors.New("no delivery attempt within 30 s"))
	case <-s.ctx.Done():
		s.stop(what, s.ctx.Err())
	}
	return attempt{}, false
}

func (s *story) waitTrace(what string) (traceEvent, bool) {
	select {
	case t := <-s.w.traces:
		return t, true
	case <-time.After(30 * time.Second):
		s.stop(what, errors.New("no DNS lookup within 30 s"))
	case <-s.ctx.Done():
		s.stop(what, s.ctx.Err())
	}
	return traceEvent{}, false
}

func (s *story) firstAttempt() {
	s.heading("Alice's server looks up hamburger.edu's mail server")
	s.printf("  The queue takes the message and asks its resolver for the MX records of\n")
	s.printf("  hamburger.edu, starting from the root (the trace of that lookup):\n\n")
	mx, ok := s.waitTrace("MX lookup of hamburger.edu")
	if !ok {
		return
	}
	s.printTrace(mx)
	s.printf("\n  (Each server is asked only what it needs to know: one label more than its\n")
	s.printf("  zone, RFC 9156 QNAME minimisation; the first query primes the root NS set.\n")
	s.printf("  Names go out in random upper and lower case, which an answer must copy (0x20\n")
	s.printf("  encoding): one more thing a forger has to guess. -v shows them as sent.)\n")
	asked := map[string]bool{}
	for _, st := range mx.Steps {
		asked[st.Server.Addr().String()] = true
	}
	s.expect(asked[rootAddr] && asked[eduAddr] && asked[hamburgerDNS],
		"the MX lookup went root -> edu. -> hamburger.edu.")
	s.printf("\n  The resolver also checks the answer (DNSSEC, RFC 4035): it fetches each zone's\n")
	s.printf("  public keys (DNSKEY) and the digest of them its parent signed (DS), from the root,\n")
	s.printf("  whose key it was configured with, down to hamburger.edu, and verifies the MX\n")
	s.printf("  records' signature (RRSIG, the second record of each answer). Verdict: %s.\n", mx.Result.Security)
	s.expect(mx.Err == nil && hasRecord(mx.Result.Answer, "MX\t10 mail.hamburger.edu."),
		"hamburger.edu MX 10 mail.hamburger.edu found")
	s.expect(mx.Result.Security == resolver.Secure, "the MX answer is validated from the root's key down (DNSSEC: secure)")
	ip, ok := s.waitTrace("address lookup of mail.hamburger.edu")
	if !ok {
		return
	}
	s.printf("\n  Then the address of mail.hamburger.edu (the zone cut is cached now):\n\n")
	s.printTrace(ip)
	s.expect(ip.Err == nil && hasRecord(ip.Result.Answer, "A\t"+bobMailAddr), "mail.hamburger.edu A "+bobMailAddr+" found")

	s.heading("Bob's server is down")
	a, ok := s.waitAttempt("first delivery attempt")
	if !ok {
		return
	}
	s.printf("  The queue connects to %s (%s): %v\n", a.Target.Addr, a.Target.Host, a.Err)
	s.expect(a.Err != nil, "the first attempt fails: Bob's server is down")
	retryAt := s.w.clock.Now().Add(30 * time.Minute)
	s.waitQueue("the message is deferred, next attempt 30 minutes later", func(e []mailqueue.Entry) bool {
		return len(e) == 1 && e[0].Attempts == 1 && e[0].NextAttempt.Equal(retryAt) &&
			e[0].Recipients[0].Status == mailqueue.StatusPending && e[0].Recipients[0].Reply != ""
	})
	s.printQueue("The message stays queued, to be retried in 30 minutes (RFC 5321 4.5.4.1):")
}

func (s *story) secondMessage() {
	s.heading("Alice sends a second message while Bob's server is still down")
	msg, err := s.composeMessage(bob, "Dinner on Friday?", "Crêpes at my place, 8 pm.\n-- Alice\n")
	if err != nil {
		s.stop("second message composed", err)
		return
	}
	s.printf("  Subject: Dinner on Friday?  (submitted the same way)\n")
	if !s.submit(msg, bob.Addr, s.verbose) {
		return
	}
	a, ok := s.waitAttempt("attempt for the second message")
	if !ok {
		return
	}
	s.printf("  Its first attempt fails too: %v\n", a.Err)
	s.expect(a.Err != nil, "the second message's first attempt fails too")
	s.waitQueue("two messages deferred in Alice's queue", func(e []mailqueue.Entry) bool {
		return len(e) == 2 && e[0].Recipients[0].Reply != "" && e[1].Recipients[0].Reply != ""
	})
	s.printQueue("Now two messages wait for hamburger.edu:")
}

func (s *story) retry() {
	s.heading("30 minutes later: Bob's server is up, the queue retries")
	if err := s.w.startBob(); err != nil {
		s.stop("Bob's server starts", err)
		return
	}
	due := s.w.clock.Now().Add(30 * time.Minute)
	// Wait until the queue has set its timer for the retry, then move
	// the simulated clock to it.
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	err := s.w.clock.WaitTimer(ctx, due)
	cancel()
	if err != nil {
		s.stop("the queue schedules the retry", err)
		return
	}
	s.w.clock.Advance(30 * time.Minute)
	s.printf("  mail.hamburger.edu now listens on %s:%d; the simulated clock reads %s.\n\n",
		bobMailAddr, s.w.port, s.w.clock.Now().Format("15:04"))
	for i := 0; i < 2; i++ {
		a, ok := s.waitAttempt("retry")
		if !ok {
			return
		}
		s.expect(a.Err == nil && len(a.Replies) == 1 && a.Replies[0].Success(),
			fmt.Sprintf("retry %d delivered to Bob (%s)", i+1, replyText(a)))
	}
	for i := 0; i < 2; i++ {
		select {
		case <-s.w.bobGot:
		case <-time.After(10 * time.Second):
			s.stop("Bob's server stores the messages", errors.New("timeout"))
			return
		}
	}
	conns := s.w.bobRec.Conns()
	s.printf("  The SMTP dialogue between the two servers, as mail.hamburger.edu saw it\n")
	s.printf("  (C: mail.crepes.fr, S: mail.hamburger.edu):\n\n")
	for _, c := range conns {
		for _, l := range c.Lines() {
			s.printf("    %s\n", l)
		}
		s.printf("    (the connection stays open a few seconds for more mail, then QUIT)\n")
	}
	s.printf("\n  MAIL, RCPT and BDAT go out together, without waiting for each reply (PIPELINING,\n")
	s.printf("  RFC 2920); the replies come back in order. BDAT (CHUNKING, RFC 3030) sends the\n")
	s.printf("  message as a counted chunk of octets, so it needs no dot-stuffing and no final \".\".\n")
	s.expect(len(conns) == 1 && conns[0].count("C: MAIL FROM:") == 2,
		"both messages went over one SMTP connection")
	s.waitQueue("Alice's queue is empty again", func(e []mailqueue.Entry) bool { return len(e) == 0 })
}

func replyText(a attempt) string {
	if a.Err != nil {
		return a.Err.Error()
	}
	if len(a.Replies) > 0 {
		return a.Replies[0].String()
	}
	return "no reply"
}

func (s *story) bounce() {
	s.heading("A message to someone who does not exist bounces")
	robert := rfc5322.Address{Name: "Robert", Addr: "robert@hamburger.edu"}
	msg, err := s.composeMessage(robert, "Hello?", "Is this the right address?\n")
	if err != nil {
		s.stop("message to robert composed", err)
		return
	}
	s.printf("  Alice writes to robert@hamburger.edu; her server accepts it (it cannot know).\n")
	if !s.submit(msg, robert.Addr, s.verbose) {
		return
	}
	a, ok := s.waitAttempt("delivery attempt to robert")
	if !ok {
		return
	}
	s.printf("  mail.hamburger.edu answers RCPT TO:<robert@hamburger.edu> with: %s\n", replyText(a))
	s.expect(a.Err == nil && len(a.Replies) == 1 && a.Replies[0].Code == 550,
		"Bob's server refuses robert with 550")
	s.printf("  The failure is permanent: the queue sends Alice a delivery status notification\n")
	s.printf("  from MAILER-DAEMON with the null reverse-path <> (so it can never bounce itself).\n")
	// The report goes to alice@crepes.fr through DNS and SMTP like any mail.
	for i := 0; i < 2; i++ { // MX crepes.fr and A mail.crepes.fr
		if t, ok := s.waitTrace("lookup for crepes.fr"); ok && s.verbose {
			s.printTrace(t)
		} else if !ok {
			return
		}
	}
	b, ok := s.waitAttempt("delivery of the bounce")
	if !ok {
		return
	}
	s.expect(b.Err == nil && b.Txn.From == "" && b.Target.Domain == "crepes.fr" && len(b.Replies) == 1 && b.Replies[0].Success(),
		"the bounce, from <>, is delivered to mail.crepes.fr")
	var acc localmail.Accepted
	select {
	case acc = <-s.w.accepted:
	case <-time.After(10 * time.Second):
		s.stop("the bounce reaches Alice's mailbox", errors.New("timeout"))
		return
	}
	msgs, err := s.w.aliceBackend.Mailboxes().Messages(alice.Addr)
	if err != nil || len(msgs) != 1 {
		s.stop("one message in Alice's mailbox", fmt.Errorf("%d messages, %v", len(msgs), err))
		return
	}
	report := string(msgs[0])
	s.printf("\n  Alice's mailbox now holds the report (%d bytes, delivered to %v). Its parts:\n\n", len(report), acc.Local)
	s.printReport(report)
	for _, want := range []string{
		"multipart/report", "report-type=delivery-status", "Action: failed", "Status: 5.1.1",
		"Final-Recipient: rfc822; robert@hamburger.edu", "Subject: Hello?",
	} {
		s.expect(strings.Contains(report, want), "the report says "+want)
	}
	if s.verbose {
		s.printf("\n  Alice's server received it like this (C: mail.crepes.fr's queue, S: its own MX):\n\n")
		for _, c := range s.w.aliceMXRec.Conns() {
			for _, l := range c.Lines() {
				s.printf("    %s\n", l)
			}
		}
	}
}

// printReport prints the interesting lines of a delivery report: the
// header summary, the human-readable part, and the per-recipient fields.
func (s *story) printReport(report string) {
	keep := func(l string) bool {
		for _, p := range []string{"From:", "To:", "Subject:", "Content-Type:", "Action:", "Status:",
			"Final-Recipient:", "Diagnostic-Code:", "Remote-MTA:", "Reporting-MTA:"} {
			if strings.HasPrefix(l, p) {
				return true
			}
		}
		return false
	}
	for _, l := range strings.Split(report, "\n") {
		if s.verbose || keep(l) {
			s.printf("    %s\n", l)
		}
	}
}

func (s *story) mailbox() {
	msgs := s.readMail()
	if msgs == nil {
		return
	}
	for i, m := range msgs {
		s.printf("\n  --- message %d\n", i+1)
		if !s.verbose {
			m = withoutTrace(m)
		}
		s.indent(m)
	}
	if len(msgs) == 2 {
		// Both were due at 09:30; the queue may send either first.
		ketchup, dinner := msgs[0], msgs[1]
		if strings.Contains(ketchup, "Subject: Dinner on Friday?\n") {
			ketchup, dinner = dinner, ketchup
		}
		s.expect(strings.Contains(ketchup, "Subject: Do you like ketchup?\n") &&
			s.showMIME(ketchup) &&
			strings.Contains(dinner, "Subject: Dinner on Friday?\n") &&
			strings.HasSuffix(dinner, "\n\nCrêpes at my place, 8 pm.\n-- Alice\n"),
			"Bob got both of Alice's messages intact")
		traced, returnPath := true, true
		for _, m := range []string{ketchup, dinner} {
			traced = traced && strings.Count(m, "Received: ") == 2 &&
				strings.Contains(m, "by mail.crepes.fr (relaykit) with ESMTPSA") &&
				strings.Contains(m, "by mail.hamburger.edu (relaykit) with ESMTP")
			returnPath = returnPath && strings.HasPrefix(m, "Return-Path: <alice@crepes.fr>\n")
		}
		s.expect(traced, "in both, the Received fields trace the path: submission (ESMTPSA), then relay (ESMTP)")
		s.expect(returnPath, "in both, the Return-Path is Alice's address")
	}
}

// showMIME prints the MIME tree of the message Bob received and reads
// its text and its attachment; it reports whether both came through.
func (s *story) showMIME(m string) bool {
	msg := []byte(m)
	tree, err := mime.Parse(msg, nil)
	if err != nil || len(tree.Root.Parts) != 2 {
		s.printf("  !! MIME: %v\n", err)
		return false
	}
	s.printf("\n  Bob's user agent reads the MIME tree of \"Do you like ketchup?\":\n\n")
	tree.Root.Walk(func(p *mime.Part) error {
		s.printf("    %s%s\n", strings.Repeat("  ", p.Depth), p)
		return nil
	})
	read := func(p *mime.Part) string {
		r, err := p.Decode(msg)
		if err != nil {
			return ""
		}
		b, _ := io.ReadAll(r)
		return strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	text, att := tree.Root.Parts[0], tree.Root.Parts[1]
	s.printf("\n    text: %q\n    attachment %q: %q\n", read(text), att.Filename(), read(att))
	return read(text) == "How about pickles?\nThe recipe is attached.\n" &&
		att.Filename() == "cornichons-à-l'aneth.txt" && read(att) == pickles
}

// withoutTrace shortens the fields added on the way (DKIM-Signature,
// Authentication-Results, Received) to their first line, for the
// non-verbose output.
func withoutTrace(m string) string {
	head, body, _ := strings.Cut(m, "\n\n")
	var out []string
	cont := false
	for _, l := range strings.Split(head, "\n") {
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if !cont {
				out = append(out, l)
			} else if !strings.HasSuffix(out[len(out)-1], " ...") {
				out[len(out)-1] += " ..."
			}
			continue
		}
		cont = strings.HasPrefix(l, "DKIM-Signature:") || strings.HasPrefix(l, "Authentication-Results:") ||
			strings.HasPrefix(l, "Received:")
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n\n" + body
}

// entries lists Alice's queue.
func (s *story) entries() []mailqueue.Entry {
	var out []mailqueue.Entry
	s.w.queue.List(s.ctx, func(e mailqueue.Entry) error {
		out = append(out, e)
		return nil
	})
	return out
}

// waitQueue waits until cond holds for Alice's queue listing. The queue
// records an attempt's outcome just after the deliverer returns and tells
// nobody, so this looks again every few milliseconds (for at most 10 s):
// it waits on the queue's bookkeeping, not on time passing.
func (s *story) waitQueue(what string, cond func([]mailqueue.Entry) bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if cond(s.entries()) {
			return s.expect(true, what)
		}
		if time.Now().After(deadline) || s.ctx.Err() != nil {
			return s.expect(false, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (s *story) printQueue(title string) {
	s.printf("\n  %s\n\n", title)
	for _, e := range s.entries() {
		s.printf("    %s  from <%s>, %d bytes, %d attempt(s), next at %s\n",
			e.ID, e.From, e.Size, e.Attempts, e.NextAttempt.Format("15:04"))
		for _, r := range e.Recipients {
			s.printf("        %s: %s: %s\n", r.Addr, r.Status, r.Reply)
		}
	}
}

// printTrace prints a traced lookup: one line per query, with what came
// back; -v adds the records.
func (s *story) printTrace(t traceEvent) {
	s.printf("    lookup %s\n", t.Question)
	for _, st := range t.Steps {
		q := st.Question.Name.String()
		if !s.verbose {
			q = strings.ToLower(q) // -v shows the 0x20 mixed case as sent
		}
		s.printf("    %s? %s %s -> %s (zone %s): %s\n", strings.Repeat("  ", st.Depth),
			q, st.Question.Type, st.Server, st.Zone, stepSummary(st))
		if s.verbose && st.Response != nil {
			for _, sec := range [][]dnswire.RR{st.Response.Answer, st.Response.Ns, st.Response.Extra} {
				for i := range sec {
					s.printf("          %s\n", rrText(&sec[i]))
				}
			}
		}
	}
	if t.Err != nil {
		s.printf("    => %v\n", t.Err)
		return
	}
	for i := range t.Result.Answer {
		s.printf("    => %s\n", rrText(&t.Result.Answer[i]))
	}
}

// stepSummary says what one response was: a referral, an answer, or an
// error.
func stepSummary(st resolver.Step) string {
	if st.Err != nil {
		return "no answer: " + st.Err.Error()
	}
	m := st.Response
	switch {
	case m.RCode != dnswire.RCodeSuccess:
		return m.RCode.String()
	case len(m.Answer) > 0:
		return fmt.Sprintf("answer, %d record(s)", len(m.Answer))
	case len(m.Ns) > 0 && m.Ns[0].Type == dnswire.TypeNS && !m.Authoritative:
		var hosts []string
		for _, rr := range m.Ns {
			if ns, ok := rr.Data.(*dnswire.NS); ok {
				hosts = append(hosts, ns.Host.String())
			}
		}
		return fmt.Sprintf("referral to %s (%s)", m.Ns[0].Name, strings.Join(hosts, ", "))
	default:
		return "no data"
	}
}

func rrText(rr *dnswire.RR) string {
	data := ""
	if rr.Data != nil {
		data = rr.Data.String()
	}
	return fmt.Sprintf("%s\t%d\t%s\t%s\t%s", strings.ToLower(rr.Name.String()), rr.TTL, rr.Class, rr.Type, data)
}

// hasRecord reports whether a record's "TYPE\tdata" text is among rrs.
func hasRecord(rrs []dnswire.RR, typeAndData string) bool {
	for i := range rrs {
		d := ""
		if rrs[i].Data != nil {
			d = rrs[i].Data.String()
		}
		if strings.EqualFold(rrs[i].Type.String()+"\t"+d, typeAndData) {
			return true
		}
	}
	return false
}
