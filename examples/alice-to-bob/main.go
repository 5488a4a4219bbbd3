// Command alice-to-bob carries one email from Alice's user agent to Bob's
// mailbox, and tells the story step by step, with nothing but loopback
// networking and no setup:
//
//	go run ./examples/alice-to-bob [-v]
//
// In one process it starts a small Internet on 127.0.0.x: a DNS root,
// the fr. and edu. top-level domains, the authoritative servers of
// crepes.fr and hamburger.edu (zone.Server, through the public dnstest
// package), a local caching DNS server, Alice's mail server
// mail.crepes.fr (submission over TLS with AUTH, a durable queue, an
// iterative resolver pointed at that root) and Bob's mail server
// mail.hamburger.edu. Then:
//
//  1. The registrar adds hamburger.edu to the edu. zone with a
//     TSIG-signed DNS UPDATE (RFC 2136, RFC 3007, RFC 8945): the NS record,
//     its glue, and the DS record that links Bob's signed zone into the
//     chain of trust (every zone is signed, DNSSEC).
//  2. Alice's message is composed (RFC 5322), with a text part and an
//     attachment (MIME); Bob's side prints its MIME tree at the end.
//  3. Her user agent submits it over TLS (RFC 8314) with AUTH PLAIN.
//  4. Alice's server finds Bob's mail server through DNS, from the root
//     down, validating the answer from the root's key (DNSSEC), and prints
//     the resolver's trace.
//  5. Bob's server is down: the message is deferred; Alice sends a second
//     one, deferred too.
//  6. 30 simulated minutes later the queue retries and both messages go
//     to Bob's server over one SMTP connection (the dialogue is printed).
//  7. Bob's server checks SPF, DKIM (the queue signs with crepes.fr's
//     Ed25519 key) and DMARC, and adds Authentication-Results; a message
//     forged in Alice's name from another host is refused with 550 5.7.1.
//  8. A message to a user who does not exist bounces back to Alice as a
//     delivery status notification (RFC 3464).
//  9. A message whose receiving server never answers is retried every 30
//     minutes until its lifetime ends; then the queue gives up and Alice
//     gets the report.
//  10. Bob's user agent reads his mail with POP3 (RFC 1939) over STLS:
//     list, retrieve, delete; the dialogue is printed.
//  11. Bob's phone waits in IMAP IDLE (RFC 9051, RFC 2177), sees one more
//     message from Alice arrive, reads it and flags it; it stays on the
//     server.
//  12. Alice's laptop asks its local DNS server for www.hamburger.edu (an
//     alias with three addresses): once, again from the cache, and again
//     after the TTL ran out.
//  13. Bob's server turns on STARTTLS and publishes a TLSA record in
//     its signed zone; a forged TLSA answer fails DNSSEC validation and
//     the message waits; then it goes over TLS, the server's key
//     verified by DANE (RFC 7672).
//
// -v prints every SMTP session and every DNS response in full. The
// program exits 0 only if every step happened as told; its test runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	verbose := flag.Bool("v", false, "print full SMTP transcripts and DNS responses")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	os.Exit(run(ctx, os.Stdout, *verbose))
}

// run tells the whole story on out and returns the exit status: 0 only if
// every check passed.
func run(ctx context.Context, out io.Writer, verbose bool) int {
	w, err := newWorld()
	if err != nil {
		fmt.Fprintln(out, "alice-to-bob: setting up:", err)
		return 1
	}
	defer w.Close()
	s := &story{w: w, out: out, verbose: verbose, ctx: ctx}
	s.tell()
	return s.summary()
}
