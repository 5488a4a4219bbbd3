// Command alice-to-bob carries one email from Alice's user agent to Bob's
// mailbox, and tells the story step by step, with nothing but loopback
// networking and no setup:
//
//	go run ./examples/alice-to-bob [-v]
//
// In one process it starts a small Internet on 127.0.0.x: a DNS root,
// the fr. and edu. top-level domains, the authoritative servers of
// crepes.fr and hamburger.edu (with MX records), Alice's mail server
// mail.crepes.fr (submission over TLS with AUTH, a durable queue, an
// iterative resolver pointed at that root) and Bob's mail server
// mail.hamburger.edu. Then:
//
//  1. Alice's message is composed (RFC 5322).
//  2. Her user agent submits it over TLS (RFC 8314) with AUTH PLAIN.
//  3. Alice's server finds Bob's mail server through DNS, from the root
//     down, and prints the resolver's trace.
//  4. Bob's server is down: the message is deferred; Alice sends a second
//     one, deferred too.
//  5. 30 simulated minutes later the queue retries and both messages go
//     to Bob's server over one SMTP connection (the dialogue is printed).
//  6. A message to a user who does not exist bounces back to Alice as a
//     delivery status notification (RFC 3464).
//  7. Bob's mailbox is printed.
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
