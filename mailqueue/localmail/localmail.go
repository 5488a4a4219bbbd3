// Package localmail is the last hop of a mail server: mail for its local
// domains into Maildirs (package mailbox), on the two paths a server has.
//
//   - Backend is an smtp.Backend for a server's MX and submission
//     service: mail for the local domains goes into their Maildirs, mail
//     for other domains to a queue, and only for clients that
//     authenticated (RFC 4954) or connect from a trusted network, so the
//     server is never an open relay (RFC 5321 7.1, RFC 2505 2.4).
//   - Routes and Deliverer let a mailqueue.Queue deliver what it holds
//     for a local domain (bounces; all local mail with
//     Config.QueueLocal) into the Maildirs instead of over SMTP to
//     itself: Routes gives the local domains a pseudo exchanger, Host,
//     and the Deliverer writes each recipient's copy. Mail for other
//     domains goes to the next Resolver and Deliverer (DNS and SMTP).
//
// Each copy gets a Return-Path field with the envelope sender (RFC 5321
// 4.4: the final delivery adds it) and a Delivered-To field with the
// recipient (as Postfix's local delivery writes it), and is stored with
// LF line endings as Maildir readers expect. Mailboxes maps an address
// to its Maildir (Root/<domain>/<local-part>, escaped so no address names
// a path outside its domain's directory).
//
// Durability before the 250: a Writer makes the files of concurrent
// deliveries durable together (group commit: written in tmp/, each
// flushed, renamed into new/, each new/ directory flushed once per batch,
// one mailbox.DeliverBatch). With Config.Journal, the Backend instead
// makes local mail durable in a mailqueue.Store (one write, group commit)
// before the 250, as Postfix accepts into its queue; one goroutine then
// writes the Maildir files and makes whole batches of up to 256 durable
// at once (each file fdatasync'd, each new/ directory fsync'd once per
// batch) before removing the stored copies. The flushes leave the reply
// path and are shared by many files, which under load is what makes
// that mode faster. After a crash every message still in the store is
// delivered again when the Backend starts; file names are derived from
// the message ID, so one already in new/ or cur/ is not written twice.
//
// It sits above mailqueue, smtp and mailbox (DESIGN.md's floors: none of
// them knows the others).
package localmail

import (
	"context"
	"errors"
	"net/netip"

	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/mailqueue"
)

// Host is the pseudo mail exchanger Routes gives the local domains; the
// Deliverer recognises it. It never resolves in DNS (RFC 2606 .invalid).
const Host = "local.localmail.invalid"

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
	// Writer, if set, writes the copies, sharing its flushes with the
	// other deliveries in flight (the queue's concurrent attempts, and a
	// Backend's sessions when it is Backend.Writer). Nil: each
	// transaction's copies are one mailbox.DeliverBatch of their own.
	Writer *Writer
	Next   mailqueue.Deliverer
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
	if d.Writer != nil {
		d.deliverWriter(ctx, txn, replies)
		return replies, nil
	}
	batch := make([]mailbox.Delivery, 0, len(txn.Recipients))
	idx := make([]int, 0, len(txn.Recipients))
	lf := mailbox.AppendLF(nil, txn.Body)
	for i, r := range txn.Recipients {
		if !d.Mailboxes.Exists(r.Addr) {
			replies[i] = mailqueue.Reply{Code: 550, Enhanced: "5.1.1", Text: "<" + r.Addr + ">: no such mailbox"}
			continue
		}
		md, _, err := d.Mailboxes.open(r.Addr)
		if errors.Is(err, ErrBadAddress) {
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

// deliverWriter writes the copies of the recipients that exist through
// d.Writer, all of them durable or none acknowledged.
func (d Deliverer) deliverWriter(ctx context.Context, txn *mailqueue.Transaction, replies []mailqueue.Reply) {
	rcpts := make([]string, 0, len(txn.Recipients))
	idx := make([]int, 0, len(txn.Recipients))
	for i, r := range txn.Recipients {
		if !d.Mailboxes.Exists(r.Addr) {
			replies[i] = mailqueue.Reply{Code: 550, Enhanced: "5.1.1", Text: "<" + r.Addr + ">: no such mailbox"}
			continue
		}
		if _, err := d.Mailboxes.Path(r.Addr); err != nil {
			replies[i] = mailqueue.Reply{Code: 550, Enhanced: "5.1.3", Text: "<" + r.Addr + ">: bad mailbox name"}
			continue
		}
		rcpts = append(rcpts, r.Addr)
		idx = append(idx, i)
	}
	if len(rcpts) == 0 {
		return
	}
	reply := mailqueue.Reply{Code: 250, Enhanced: "2.0.0", Text: "delivered to maildir"}
	if _, err := d.Writer.Deliver(ctx, txn.From, rcpts, txn.Body); err != nil {
		reply = mailqueue.Reply{Code: 451, Enhanced: "4.3.0", Text: err.Error()}
	}
	for _, i := range idx {
		replies[i] = reply
	}
}

// Close closes Next if it can be closed (the queue calls it at Shutdown).
func (d Deliverer) Close() error {
	if c, ok := d.Next.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
