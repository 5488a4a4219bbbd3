// Command dnslookup asks a DNS server one question and prints the answer
// the way dig(1) does: header, flags, EDNS, question, answer, authority
// and additional sections, query time, server and size. It queries over
// UDP and retries over TCP when the answer is truncated, or uses TCP from
// the start; with -trace it resolves the name iteratively from the root,
// printing each referral on the way, with relaykit's resolver.
//
// Usage:
//
//	dnslookup [@server] [-p port] [options] name [type]
//
// Options, with dig's spelling in brackets where dig has one:
//
//	-tcp        [+tcp]        query over TCP
//	-norecurse  [+norecurse]  clear the RD bit
//	-noedns     [+noedns]     send no EDNS OPT record
//	-dnssec     [+dnssec]     set the DO bit
//	-trace      [+trace]      resolve from the root, printing each step
//	-root list               root servers for -trace, comma-separated
//	                          host:port (default: the real root servers)
//	-timeout d               per-query timeout (default 5s)
//	-t type                  the query type (default A)
//
// With no @server, the first nameserver in /etc/resolv.conf is asked.
//
// Examples:
//
//	go run ./examples/dnslookup @127.0.0.1 -p 5353 example.com MX
//	go run ./examples/dnslookup -trace -root 127.0.0.2:5353 www.example.com
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, time.Now))
}

// run is the whole program; it returns the exit status (0 for an answer,
// even a negative one, 1 for a failed lookup, 2 for bad usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) int {
	a, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintln(stderr, "usage: dnslookup [@server] [-p port] [-tcp] [-norecurse] [-noedns] [-dnssec] [-trace] [-root host:port,...] [-timeout d] name [type]")
		return 2
	}
	banner := "\n; <<>> dnslookup (relaykit) <<>> " + a.commandLine() + "\n"
	if a.Trace {
		fmt.Fprint(stdout, banner)
		return runTrace(ctx, a, stdout, stderr)
	}
	server := a.Server
	if server == "" {
		server = defaultServer("/etc/resolv.conf")
	}
	ex, err := query(ctx, joinPort(server, a.Port), a.Name, a.Type, a.Query)
	if err != nil {
		fmt.Fprint(stdout, banner)
		fmt.Fprintf(stdout, ";; communications error to %s: %v\n", joinPort(server, a.Port), err)
		return 1
	}
	if ex.Retried {
		// dig reports the retry before its banner.
		fmt.Fprintln(stdout, ";; Truncated, retrying in TCP mode.")
	}
	fmt.Fprint(stdout, banner)
	printExchange(stdout, ex, now())
	return 0
}
