// Package relay is the relay command (examples/relay, and examples/relaypg
// with the PostgreSQL store compiled in), as a package so that both mains
// are one call.
package relay

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

// Options are what a relay command compiled with more than the core adds.
type Options struct {
	// OpenStore opens the shared queue store named by -postgres (a
	// PostgreSQL DSN); the relay closes it at exit. Nil: this build has
	// no shared store and -postgres is refused.
	OpenStore func(ctx context.Context, dsn string) (mailqueue.Store, io.Closer, error)
}

// Main runs the relay command with args (without the program name) and
// returns its exit status: examples/relay and examples/relaypg are this
// function and nothing else.
func Main(args []string, stdout, stderr io.Writer, opts Options) int {
	cfg, mailq, err := parseFlags(args, stderr)
	if err != nil {
		return 2
	}
	if mailq {
		if err := printQueue(stdout, cfg.Spool); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	if cfg.Postgres != "" {
		if opts.OpenStore == nil {
			fmt.Fprintln(stderr, "relay: this build has no PostgreSQL store; run examples/relaypg (its own module, so the core stays free of the driver)")
			return 2
		}
		st, closer, err := opts.OpenStore(context.Background(), cfg.Postgres)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer closer.Close()
		cfg.Store = st
	}
	switch cfg.MailLogPath {
	case "", "none":
	case "-":
		cfg.MailLog = stderr
	default:
		f, err := os.OpenFile(cfg.MailLogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			fmt.Fprintln(stderr, "relay:", err)
			return 1
		}
		defer f.Close()
		cfg.MailLog = f
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
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
	fs.StringVar(&cfg.MailLogPath, "maillog", "-", "mail log, a line per accepted message and per delivery outcome (queue id, from, to, size, status): - for stderr, a file to append to, or none")
	fs.StringVar(&cfg.Postgres, "postgres", "", "queue in this PostgreSQL database (a DSN) shared with other relay nodes, instead of the spool (examples/relaypg only)")
	fs.StringVar(&cfg.Node, "node", "", "this node's name in the shared queue's leases (default: host, pid and a random suffix)")
	fs.DurationVar(&cfg.LeaseTTL, "lease-ttl", 2*time.Minute, "shared queue: how long a node's claim on a message lasts, renewed while it is attempted; a dead node's messages wait this long")
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
