// Command authserver is an authoritative DNS server built on relaykit's
// zone package: zones from master files or copied from a primary, UDP
// and TCP on one port, TSIG-signed dynamic updates with a per-key policy
// and a durable journal, zone transfers and NOTIFY, round-robin answers
// and response rate limiting.
//
// Usage:
//
//	authserver [options]
//
// Options (the repeatable ones may be given several times):
//
//	-listen addr           where to serve, UDP and TCP (default 127.0.0.1:5353)
//	-zone origin=file      serve the zone in file (repeatable)
//	-secondary origin=addr copy the zone from the primary at addr by
//	                       AXFR/IXFR, following its NOTIFY (repeatable)
//	-key name:alg:secret   a TSIG key; alg is hmac-sha256, hmac-sha512, ...;
//	                       secret is base64 (repeatable)
//	-update key:name[:types] let key change names at and below name,
//	                       types comma-separated (default all but SOA)
//	-transfer prefix       allow AXFR/IXFR from this network (repeatable)
//	-transfer-key name     allow AXFR/IXFR signed with this key (repeatable)
//	-secondary-key name    sign transfers from primaries with this key
//	-notify addr           send NOTIFY to this secondary (repeatable)
//	-journal dir           make updates durable in dir
//	-rotate                rotate the order of multi-record answers
//	-rrl n                 limit responses per client network to n/s
//
// Example: a TLD that a registrar may add delegations to, and a secondary
// of it:
//
//	go run ./examples/authserver -listen 127.0.0.1:5300 -zone edu.=edu.zone \
//	    -key registrar:hmac-sha256:c2VjcmV0 -update registrar:edu.:NS,A,AAAA \
//	    -transfer 127.0.0.0/8 -notify 127.0.0.1:5301
//	go run ./examples/authserver -listen 127.0.0.1:5301 -secondary edu.=127.0.0.1:5300
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/zone"
)

func main() {
	s, err := setup(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "authserver:", err)
		os.Exit(2)
	}
	fmt.Println("authserver: serving on", s.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	<-ctx.Done()
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "authserver:", err)
	}
}

// list is a repeatable flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// setup parses the arguments, loads the zones and starts the server.
func setup(args []string, logTo io.Writer) (*zone.Server, error) {
	fs := flag.NewFlagSet("authserver", flag.ContinueOnError)
	fs.SetOutput(logTo)
	var zones, secondaries, keys, updates, transfers, transferKeys, notifies list
	listen := fs.String("listen", "127.0.0.1:5353", "address to serve on (UDP and TCP)")
	fs.Var(&zones, "zone", "origin=file: serve a zone file (repeatable)")
	fs.Var(&secondaries, "secondary", "origin=addr: copy a zone from a primary (repeatable)")
	fs.Var(&keys, "key", "name:alg:base64secret: a TSIG key (repeatable)")
	fs.Var(&updates, "update", "key:name[:types]: an update grant (repeatable)")
	fs.Var(&transfers, "transfer", "network allowed to transfer zones (repeatable)")
	fs.Var(&transferKeys, "transfer-key", "key allowed to transfer zones (repeatable)")
	fs.Var(&notifies, "notify", "secondary to NOTIFY of changes (repeatable)")
	secKey := fs.String("secondary-key", "", "key to sign transfers from primaries with")
	journal := fs.String("journal", "", "directory for the update journal")
	rotate := fs.Bool("rotate", false, "rotate multi-record answers")
	rrl := fs.Int("rrl", 0, "responses per second per client network (0: no limit)")
	verbose := fs.Bool("v", false, "log debug lines")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var bad error
	name := func(v string) dnswire.Name {
		n, err := fqdn(v)
		if err != nil && bad == nil {
			bad = err
		}
		return n
	}
	s := &zone.Server{JournalDir: *journal, Rotate: *rotate}
	if *verbose {
		s.Logger = slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if *rrl > 0 {
		s.RateLimit = &zone.RateLimit{ResponsesPerSecond: *rrl}
	}
	for _, k := range keys {
		key, err := parseKey(k)
		if err != nil {
			return nil, err
		}
		s.Keys = append(s.Keys, key)
	}
	for _, u := range updates {
		f := strings.SplitN(u, ":", 3)
		if len(f) < 2 {
			return nil, fmt.Errorf("-update %q: want key:name[:types]", u)
		}
		rule := zone.UpdateRule{Key: name(f[0]), Name: name(f[1])}
		if len(f) == 3 {
			for _, t := range strings.Split(f[2], ",") {
				typ, ok := dnswire.ParseType(t)
				if !ok {
					return nil, fmt.Errorf("-update %q: unknown type %q", u, t)
				}
				rule.Types = append(rule.Types, typ)
			}
		}
		s.UpdatePolicy = append(s.UpdatePolicy, rule)
	}
	for _, p := range transfers {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("-transfer: %w", err)
		}
		s.TransferFrom = append(s.TransferFrom, pfx)
	}
	for _, k := range transferKeys {
		s.TransferKeys = append(s.TransferKeys, name(k))
	}
	for _, a := range notifies {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return nil, fmt.Errorf("-notify: %w", err)
		}
		s.Notify = append(s.Notify, ap)
	}
	if bad != nil {
		return nil, bad
	}
	for _, zf := range zones {
		origin, file, ok := strings.Cut(zf, "=")
		if !ok {
			return nil, fmt.Errorf("-zone %q: want origin=file", zf)
		}
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		z, err := zone.Parse(f, name(origin), zone.LoadConfig{File: file, IncludeFS: os.DirFS(filepath.Dir(file))})
		f.Close()
		if err != nil {
			return nil, err
		}
		if err := s.AddZone(z); err != nil {
			return nil, err
		}
	}
	if err := s.ListenAndServe(*listen); err != nil {
		return nil, err
	}
	var key *dnswire.TSIGKey
	if *secKey != "" {
		for _, k := range s.Keys {
			if k.Name.Equal(name(*secKey)) {
				key = k
			}
		}
		if key == nil {
			s.Close()
			return nil, fmt.Errorf("-secondary-key %s: no such -key", *secKey)
		}
	}
	for _, sec := range secondaries {
		origin, addr, ok := strings.Cut(sec, "=")
		ap, err := netip.ParseAddrPort(addr)
		if !ok || err != nil {
			s.Close()
			return nil, fmt.Errorf("-secondary %q: want origin=addr:port", sec)
		}
		o := name(origin)
		if bad != nil {
			s.Close()
			return nil, bad
		}
		if err := s.AddSecondary(zone.Secondary{Origin: o, Primary: ap, Key: key}); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// fqdn parses s as a name, made absolute.
func fqdn(s string) (dnswire.Name, error) {
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	n, err := dnswire.ParseName(s)
	if err != nil {
		return dnswire.Name{}, fmt.Errorf("name %q: %w", s, err)
	}
	return n, nil
}

// parseKey reads name:alg:base64secret.
func parseKey(s string) (*dnswire.TSIGKey, error) {
	f := strings.SplitN(s, ":", 3)
	if len(f) != 3 {
		return nil, errors.New("-key: want name:alg:base64secret")
	}
	secret, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		return nil, fmt.Errorf("-key %s: secret: %w", f[0], err)
	}
	kn, err := fqdn(f[0])
	if err != nil {
		return nil, err
	}
	alg, err := fqdn(f[1])
	if err != nil {
		return nil, err
	}
	return &dnswire.TSIGKey{Name: kn, Algorithm: alg, Secret: secret}, nil
}
