// Command mailaccess is Bob's mail server's last hop: it serves the
// maildirs under one directory over IMAP (RFC 9051) and POP3 (RFC 1939),
// made only of relaykit's public packages (imap, pop3, mailbox).
//
//	go run ./examples/mailaccess -root /srv/mail -passwords users.pw
//
// Each user's mail is the maildir ROOT/<user>. The password file holds
// lines "user:$pbkdf2-sha256$..." (pop3.PasswordFile); make one with
// -hash, which reads a password on standard input and prints its hash.
// With -cert and -key, STARTTLS and STLS are offered and logins need TLS;
// without, plaintext logins are allowed on loopback only.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/imapstore"
	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/pop3"
)

func main() {
	root := flag.String("root", "", "directory holding one maildir per user")
	passwords := flag.String("passwords", "", "password file (user:$pbkdf2-sha256$...)")
	imapAddr := flag.String("imap", "127.0.0.1:1143", "IMAP listen address (empty: no IMAP)")
	pop3Addr := flag.String("pop3", "127.0.0.1:1110", "POP3 listen address (empty: no POP3)")
	certFile := flag.String("cert", "", "TLS certificate (PEM) for STARTTLS and STLS")
	keyFile := flag.String("key", "", "TLS key (PEM)")
	hash := flag.Bool("hash", false, "read a password on stdin and print its hash for the password file")
	flag.Parse()
	if *hash {
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		h, err := pop3.HashPassword(strings.TrimRight(line, "\r\n"), 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(h)
		return
	}
	if *root == "" || *passwords == "" {
		fmt.Fprintln(os.Stderr, "mailaccess: -root and -passwords are required")
		flag.Usage()
		os.Exit(2)
	}
	cfg := config{Root: *root, IMAP: *imapAddr, POP3: *pop3Addr, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	f, err := os.Open(*passwords)
	if err == nil {
		cfg.Passwords, err = pop3.ReadPasswordFile(f)
		f.Close()
	}
	if err == nil && *certFile != "" {
		var cert tls.Certificate
		cert, err = tls.LoadX509KeyPair(*certFile, *keyFile)
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailaccess:", err)
		os.Exit(1)
	}
	srv, err := start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailaccess:", err)
		os.Exit(1)
	}
	fmt.Printf("mailaccess: IMAP on %s, POP3 on %s\n", srv.imapAddr, srv.pop3Addr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.shutdown(sctx)
}

// config is what start needs.
type config struct {
	Root       string
	Passwords  *pop3.PasswordFile
	IMAP, POP3 string // listen addresses; "" leaves a protocol out
	TLS        *tls.Config
	Logger     *slog.Logger
}

// servers are the running IMAP and POP3 servers.
type servers struct {
	imap               *imap.Server
	pop3               *pop3.Server
	imapAddr, pop3Addr string
}

// userMaildir opens a user's maildir, refusing names that would leave
// the root.
func userMaildir(root, user string) (*mailbox.Maildir, error) {
	if user == "" || strings.ContainsAny(user, "/\\\x00") || user == "." || user == ".." {
		return nil, fmt.Errorf("mailaccess: invalid user name %q", user)
	}
	return mailbox.Open(filepath.Join(root, user), mailbox.Options{Create: true})
}

// imapBackend authenticates with the password file and serves the
// user's maildir.
type imapBackend struct{ cfg config }

func (b imapBackend) Login(ctx context.Context, _ imap.ConnInfo, user, password string) (imap.User, error) {
	if err := b.cfg.Passwords.Authenticate(ctx, user, password); err != nil {
		if errors.Is(err, pop3.ErrAuthFailed) {
			return nil, fmt.Errorf("%w: %v", imap.ErrAuthFailed, err)
		}
		return nil, err
	}
	md, err := userMaildir(b.cfg.Root, user)
	if err != nil {
		return nil, err
	}
	return imapstore.NewUser(md), nil
}

func start(cfg config) (*servers, error) {
	s := &servers{}
	plain := cfg.TLS == nil // plaintext logins only without TLS (loopback use)
	if cfg.IMAP != "" {
		l, err := net.Listen("tcp", cfg.IMAP)
		if err != nil {
			return nil, err
		}
		s.imap = &imap.Server{Backend: imapBackend{cfg}, TLSConfig: cfg.TLS, AllowInsecureAuth: plain, Logger: cfg.Logger}
		s.imapAddr = l.Addr().String()
		go s.imap.Serve(l)
	}
	if cfg.POP3 != "" {
		l, err := net.Listen("tcp", cfg.POP3)
		if err != nil {
			s.shutdown(context.Background())
			return nil, err
		}
		s.pop3 = &pop3.Server{
			Authenticator: cfg.Passwords,
			TLSConfig:     cfg.TLS, AllowInsecureAuth: plain, Logger: cfg.Logger,
			Backend: pop3.BackendFunc(func(ctx context.Context, user string) (pop3.Maildrop, error) {
				md, err := userMaildir(cfg.Root, user)
				if err != nil {
					return nil, err
				}
				inbox, err := md.Inbox()
				if err != nil {
					return nil, err
				}
				return inbox.Snapshot()
			}),
		}
		s.pop3Addr = l.Addr().String()
		go s.pop3.Serve(l)
	}
	return s, nil
}

func (s *servers) shutdown(ctx context.Context) {
	if s.imap != nil {
		s.imap.Shutdown(ctx)
	}
	if s.pop3 != nil {
		s.pop3.Shutdown(ctx)
	}
}
