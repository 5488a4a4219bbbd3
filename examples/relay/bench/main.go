// Command bench measures how fast a mail server accepts and delivers
// mail under Postfix's own load generator, smtp-source(1), and how much
// CPU it spends per message, for Postfix and for examples/relay in the
// same run, so the figures can be compared as ratios.
//
// Usage (as root, with Debian's postfix package and util-linux's unshare):
//
//	go run ./examples/relay/bench [-m 20000] [-s 8] [-l 4096] [-targets postfix,relay,relay-journal] [-modes queued,delivered] [-rounds 3]
//
// Modes:
//
//   - queued: every message is accepted and durably queued but never
//     delivered (Postfix: an access(5) HOLD action puts it in the hold
//     queue; relay: mail for a remote domain from a trusted network,
//     with outbound delivery held). Rate = messages / smtp-source's time.
//   - delivered: every message goes to a local domain and is delivered
//     into a maildir. Rate = messages / time until the last one is in the
//     maildir. Target relay-journal is the relay with -journal (250 after
//     a journal write, maildir files written and flushed in batches, as
//     Postfix accepts into its queue and delivers afterwards); it is
//     measured in this mode only.
//
// CPU is the user+system time of the server's whole process tree (the
// master and every daemon for Postfix), read from /proc before and after;
// smtp-source's own CPU is not counted. Machine CPU is every processor's
// busy time over the same interval (/proc/stat): smtp-source and kernel
// threads included, so work a server leaves to the kernel (writeback by
// flusher threads) shows there. The machine is shared: compare ratios
// from one run, not lone figures.
//
// The load measurement is not part of CI; TestInteropBenchSmall runs a
// small version of it to keep this program working.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	var cfg Config
	var targets, modes string
	flag.IntVar(&cfg.Messages, "m", 20000, "messages per measurement (smtp-source -m)")
	flag.IntVar(&cfg.Sessions, "s", 8, "parallel SMTP sessions (smtp-source -s)")
	flag.IntVar(&cfg.Length, "l", 4096, "message length in bytes (smtp-source -l)")
	flag.StringVar(&targets, "targets", "postfix,relay,relay-journal", "servers to measure, comma-separated: postfix, relay, relay-journal (delivered mode only)")
	flag.StringVar(&modes, "modes", "queued,delivered", "what to measure, comma-separated: queued, delivered")
	flag.StringVar(&cfg.RelayBinary, "relay-bin", "", "examples/relay binary (default: go build it)")
	flag.BoolVar(&cfg.NoMailLog, "no-maillog", false, "run the relay without its mail log (-maillog none; binaries before it need this)")
	flag.IntVar(&cfg.Rounds, "rounds", 1, "repeat every measurement, alternating servers; report medians")
	flag.BoolVar(&cfg.Verbose, "v", false, "print progress")
	flag.Parse()
	cfg.Targets = strings.Split(targets, ",")
	cfg.Modes = strings.Split(modes, ",")
	cfg.Log = os.Stderr
	results, err := Run(cfg)
	fmt.Print(Table(results))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
