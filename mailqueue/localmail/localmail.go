// Package localmail delivers a mailqueue.Queue's mail for local domains
// into Maildirs (package mailbox), the last hop of a mail server: the
// queue routes a local domain to a pseudo exchanger (Routes), and the
// Deliverer writes each recipient's copy into its Maildir instead of
// speaking SMTP. Mail for other domains goes to the next Resolver and
// Deliverer (DNS and SMTP, normally).
//
// Each copy gets a Return-Path field with the envelope sender (RFC 5321
// 4.4: the final delivery adds it) and a Delivered-To field with the
// recipient (as Postfix's local delivery writes it), and is stored with
// LF line endings as Maildir readers expect. All copies of one message
// are written as one mailbox.DeliverBatch: one flush per directory, not
// one per recipient.
//
// It sits above mailqueue and mailbox (DESIGN.md's floors: neither knows
// the other).
package localmail

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"

	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/mailqueue"
)

// Host is the pseudo mail exchanger Routes gives the local domains; the
// Deliverer recognises it. It never resolves in DNS (RFC 2606 .invalid).
const Host = "local.localmail.invalid"

// Mailboxes is the set of local Maildirs: Root/<domain>/<user> for each
// local domain. Create it with its fields set; it is safe for concurrent
// use.
type Mailboxes struct {
	// Root holds one directory per local domain, with one Maildir per
	// user inside.
	Root string
	// Domains are the local domains (compared without case).
	Domains []string
	// Users, if not nil, are the only local addresses (lower case) that
	// exist: mail for any other address of a local domain fails with 550
	// 5.1.1 (RFC 3463: bad destination mailbox). Nil creates a Maildir for
	// any user on first delivery.
	Users map[string]bool
	// Options open each Maildir (Create is set for you).
	Options mailbox.Options

	mu    sync.Mutex
	boxes map[string]*mailbox.Maildir
}

// IsLocal reports whether domain is one of the local domains.
func (m *Mailboxes) IsLocal(domain string) bool {
	for _, d := range m.Domains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// maildir opens (once) the Maildir of addr, a local address.
func (m *Mailboxes) maildir(addr string) (*mailbox.Maildir, error) {
	at := strings.LastIndexByte(addr, '@')
	user, domain := strings.ToLower(addr[:at]), strings.ToLower(addr[at+1:])
	if user == "" || strings.ContainsAny(user, "/\x00") || user[0] == '.' {
		return nil, errBadUser
	}
	key := user + "@" + domain
	m.mu.Lock()
	defer m.mu.Unlock()
	if md := m.boxes[key]; md != nil {
		return md, nil
	}
	opts := m.Options
	opts.Create = true
	md, err := mailbox.Open(filepath.Join(m.Root, domain, user), opts)
	if err != nil {
		return nil, err
	}
	if m.boxes == nil {
		m.boxes = make(map[string]*mailbox.Maildir)
	}
	m.boxes[key] = md
	return md, nil
}

var errBadUser = errors.New("localmail: not a valid mailbox name")

// Routes is a mailqueue.Resolver that routes the local domains to Host
// and asks Next about every other domain.
type Routes struct {
	Mailboxes *Mailboxes
	Next      mailqueue.Resolver
}

// LookupMX implements mailqueue.Resolver.
func (r Routes) LookupMX(ctx context.Context, domain string) ([]mailqueue.MX, error) {
	if r.Mailboxes.IsLocal(domain) {
		return []mailqueue.MX{{Host: Host}}, nil
	}
	return r.Next.LookupMX(ctx, domain)
}

// LookupIP implements mailqueue.Resolver.
func (r Routes) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if host == Host {
		return []netip.Addr{netip.IPv6Loopback()}, nil // never dialled
	}
	return r.Next.LookupIP(ctx, host)
}

// Deliverer is a mailqueue.Deliverer that writes transactions routed to
// Host into the Mailboxes and passes the others to Next.
type Deliverer struct {
	Mailboxes *Mailboxes
	Next      mailqueue.Deliverer
}

// Deliver implements mailqueue.Deliverer: a reply per recipient, 250 once
// its copy is durable, 550 5.1.1 for an address that does not exist, 451
// 4.3.0 (the queue retries) when the Maildir cannot be written.
func (d Deliverer) Deliver(ctx context.Context, t mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
	if t.Host != Host {
		if d.Next == nil {
			return nil, &mailqueue.DeliveryError{Stage: mailqueue.StageConnect, Reply: mailqueue.Reply{Code: 451, Enhanced: "4.4.0", Text: "no deliverer for " + t.Host}}
		}
		return d.Next.Deliver(ctx, t, txn)
	}
	replies := make([]mailqueue.Reply, len(txn.Recipients))
	batch := make([]mailbox.Delivery, 0, len(txn.Recipients))
	idx := make([]int, 0, len(txn.Recipients))
	lf := mailbox.AppendLF(nil, txn.Body)
	for i, r := range txn.Recipients {
		if d.Mailboxes.Users != nil && !d.Mailboxes.Users[strings.ToLower(r.Addr)] {
			replies[i] = mailqueue.Reply{Code: 550, Enhanced: "5.1.1", Text: "<" + r.Addr + ">: no such mailbox"}
			continue
		}
		md, err := d.Mailboxes.maildir(r.Addr)
		if errors.Is(err, errBadUser) {
			replies[i] = mailqueue.Reply{Code: 550, Enhanced: "5.1.3", Text: "<" + r.Addr + ">: bad mailbox name"}
			continue
		}
		if err != nil {
			replies[i] = mailqueue.Reply{Code: 451, Enhanced: "4.3.0", Text: err.Error()}
			continue
		}
		data := make([]byte, 0, len(lf)+len(txn.From)+len(r.Addr)+32)
		data = append(data, "Return-Path: <"...)
		data = append(data, txn.From...)
		data = append(data, ">\nDelivered-To: "...)
		data = append(data, r.Addr...)
		data = append(data, '\n')
		data = append(data, lf...)
		batch = append(batch, mailbox.Delivery{Maildir: md, Data: data})
		idx = append(idx, i)
	}
	if len(batch) > 0 {
		batchErr := mailbox.DeliverBatch(ctx, batch)
		for k, b := range batch {
			if b.Err == nil && b.Key == "" {
				b.Err = batchErr // not delivered, whatever the reason
				if b.Err == nil {
					b.Err = errors.New("localmail: not delivered")
				}
			}
			if b.Err != nil {
				replies[idx[k]] = mailqueue.Reply{Code: 451, Enhanced: "4.3.0", Text: b.Err.Error()}
			} else {
				replies[idx[k]] = mailqueue.Reply{Code: 250, Enhanced: "2.0.0", Text: "delivered to maildir as " + b.Key}
			}
		}
	}
	return replies, nil
}

// Close closes Next if it can be closed (the queue calls it at Shutdown).
func (d Deliverer) Close() error {
	if c, ok := d.Next.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
