// Command relay is a small mail server built from relaykit's packages.
// It accepts mail for its local domains into maildir mailboxes, accepts
// mail for any other domain only from authenticated users (submission
// with AUTH) or trusted networks and relays it through a durable queue
// (MX lookup with relaykit's resolver, retries, bounces), refuses to be
// an open relay, and shows its queue like Postfix's mailq.
//
// Usage:
//
//	relay -listen 127.0.0.1:2525 -domains example.test -maildir ./mail -spool ./spool \
//	      [-submission 127.0.0.1:5870 -user alice:secret] [-trusted 127.0.0.0/8] \
//	      [-tls] [-root 127.0.0.2:5353] [-remote-port 25] [-hold] [-journal] [-v]
//	relay -spool ./spool -mailq
//
// The second form prints the queue of the relay running on that spool
// (it asks over the control socket spool/control.sock) and exits.
//
// Mail is accepted (250) only once it is on disk: local mail in its
// mailboxes (an fsync'd file renamed into new/, the directory fsync'd),
// other mail in the queue's spool. With -queue-local, local mail goes
// through the queue too, as in Postfix (measured slower here: the queue's
// own bookkeeping writes compete with accepting). The queue delivers
// whatever it holds for a local domain (bounces, for one) straight into
// the mailboxes, not over SMTP to itself. With -journal, local mail is
// accepted once it is in a journal of its own (SPOOL/journal, one write
// with group commit) and written into the mailboxes right after by one
// goroutine that flushes whole batches of files together (mailsrv
// Config.Journal); what a crash leaves in the journal is delivered at the
// next start, and -mailq lists what it holds (normally nothing for more
// than milliseconds; a message stays while its mailbox cannot be written,
// retried every minute). Under load it accepts local mail faster than
// writing each mailbox file before the 250 (see bench/results/examples.md). With
// -hold, relayed mail is queued on hold and not delivered (Postfix's hold
// queue; mailqueue.Queue.EnqueueHeld); the load measurement in bench/
// uses it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

func main() {
	cfg, mailq, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if mailq {
		if err := printQueue(os.Stdout, cfg.Spool); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		stop()
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// run starts the relay, prints where it listens, and serves until ctx
// ends.
func run(ctx context.Context, cfg Config, out io.Writer) error {
	r, err := Start(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "relay: smtp on %s", r.Addr())
	if a := r.SubmissionAddr(); a != "" {
		fmt.Fprintf(out, ", submission on %s", a)
	}
	fmt.Fprintf(out, ", local domains %s, spool %s\n", strings.Join(cfg.Domains, ","), cfg.Spool)
	if cfg.Metrics != "" {
		l, err := net.Listen("tcp", cfg.Metrics)
		if err != nil {
			r.Shutdown(context.Background())
			return fmt.Errorf("relay: metrics: %w", err)
		}
		srv := &http.Server{Handler: metricsHandler(r.Counters()), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(l)
		defer srv.Close()
		fmt.Fprintf(out, "relay: metrics on http://%s/metrics\n", l.Addr())
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Shutdown(sctx)
}

// metricsHandler serves c at /metrics as one JSON object.
func metricsHandler(c *mailqueue.Counters) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, c.String()+"\n")
	})
	return mux
}

func parseFlags(args []string, errOut io.Writer) (Config, bool, error) {
	var cfg Config
	var mailq bool
	var domains, mailboxes, trusted, roots string
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:2525", "SMTP listener (mail for the local domains; relaying for trusted networks)")
	fs.StringVar(&cfg.Submission, "submission", "", "submission listener, AUTH required to relay (RFC 6409); empty: none")
	fs.StringVar(&cfg.Hostname, "hostname", "relay.test", "this server's name, in greetings and Received fields")
	fs.StringVar(&domains, "domains", "", "local domains, comma-separated, delivered into maildirs")
	fs.StringVar(&mailboxes, "mailboxes", "", "if set, the only local addresses that exist, comma-separated")
	fs.StringVar(&cfg.Maildir, "maildir", "mail", "maildir root: DIR/<domain>/<user>/{tmp,new,cur}")
	fs.StringVar(&cfg.Spool, "spool", "spool", "queue spool directory")
	fs.Func("user", "AUTH user as name:password (repeatable)", func(s string) error {
		name, pass, ok := strings.Cut(s, ":")
		if !ok || name == "" {
			return fmt.Errorf("want name:password")
		}
		if cfg.Users == nil {
			cfg.Users = make(map[string]string)
		}
		cfg.Users[name] = pass
		return nil
	})
	fs.StringVar(&trusted, "trusted", "", "networks that may relay without AUTH, comma-separated CIDRs")
	fs.BoolVar(&cfg.TLS, "tls", false, "offer STARTTLS with a self-signed certificate made at start")
	fs.BoolVar(&cfg.InsecureAuth, "insecure-auth", false, "offer AUTH without TLS (tests only)")
	fs.Int64Var(&cfg.MaxSize, "max-size", 10<<20, "message size limit in bytes (SIZE)")
	fs.IntVar(&cfg.MaxRecipients, "max-rcpts", 1000, "recipients per message")
	fs.IntVar(&cfg.LineLimit, "line-length-limit", 2048, "longest line of message data accepted, CRLF included (Postfix's line_length_limit); longer lines are folded or split to 998 octets on the way out")
	fs.StringVar(&roots, "root", "", "root servers for MX lookups, comma-separated host:port (default: the real roots)")
	fs.IntVar(&cfg.RemotePort, "remote-port", 25, "SMTP port of the servers mail is relayed to")
	fs.DurationVar(&cfg.Retry, "retry", 30*time.Minute, "retry interval for deferred mail")
	fs.BoolVar(&cfg.Hold, "hold", false, "store relayed mail held, never deliver it (like Postfix's hold queue)")
	fs.BoolVar(&cfg.QueueLocal, "queue-local", false, "send local mail through the queue (250 after the queue write) instead of into the mailboxes before the 250")
	fs.BoolVar(&cfg.Journal, "journal", false, "local mail: 250 once it is in a journal (SPOOL/journal), then written into the mailboxes in batches flushed together")
	fs.BoolVar(&mailq, "mailq", false, "print the queue of the relay running on -spool and exit")
	fs.BoolVar(&cfg.Verbose, "v", false, "log every message and queue event to stderr")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile to this file (for load measurements)")
	fs.StringVar(&cfg.Metrics, "metrics", "", "host:port serving the queue's event counters as JSON at /metrics; empty: none")
	if err := fs.Parse(args); err != nil {
		return cfg, false, err
	}
	cfg.Domains = splitList(domains)
	cfg.Mailboxes = splitList(mailboxes)
	var err error
	if cfg.Trusted, err = parsePrefixes(splitList(trusted)); err != nil {
		fmt.Fprintln(errOut, "relay:", err)
		return cfg, false, err
	}
	if cfg.Roots, err = parseAddrPorts(splitList(roots)); err != nil {
		fmt.Fprintln(errOut, "relay:", err)
		return cfg, false, err
	}
	return cfg, mailq, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
