package mailsrv

import (
	"context"
	"net/netip"

	"github.com/relaykit/relaykit/mailqueue"
)

// LocalHost is the pseudo mail exchanger LocalRoutes gives the local
// domains; LocalDeliverer recognises it.
const LocalHost = "local.mailsrv.invalid"

// LocalRoutes is a mailqueue.Resolver that routes the backend's local
// domains to LocalHost and asks Next about every other domain.
type LocalRoutes struct {
	Backend *Backend
	Next    mailqueue.Resolver
}

// LookupMX implements mailqueue.Resolver.
func (l LocalRoutes) LookupMX(ctx context.Context, domain string) ([]mailqueue.MX, error) {
	if l.Backend.IsLocal(domain) {
		return []mailqueue.MX{{Host: LocalHost}}, nil
	}
	return l.Next.LookupMX(ctx, domain)
}

// LookupIP implements mailqueue.Resolver.
func (l LocalRoutes) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if host == LocalHost {
		return []netip.Addr{netip.IPv6Loopback()}, nil // never dialled
	}
	return l.Next.LookupIP(ctx, host)
}

// LocalDeliverer is a mailqueue.Deliverer that writes transactions routed
// to LocalHost into the backend's maildirs and passes the others to Next.
type LocalDeliverer struct {
	Backend *Backend
	Next    mailqueue.Deliverer
}

// Deliver implements mailqueue.Deliverer. A maildir failure is temporary
// (the queue retries); success is a 250 per recipient.
func (d LocalDeliverer) Deliver(ctx context.Context, t mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
	if t.Host != LocalHost {
		return d.Next.Deliver(ctx, t, txn)
	}
	rcpts := make([]string, len(txn.Recipients))
	for i, r := range txn.Recipients {
		rcpts[i] = r.Addr
	}
	if _, err := d.Backend.maildir.Deliver(ctx, txn.From, rcpts, txn.Body); err != nil {
		return nil, &mailqueue.DeliveryError{Stage: mailqueue.StageData, Reply: mailqueue.Reply{Code: 451, Enhanced: "4.3.0", Text: err.Error()}, Err: err}
	}
	replies := make([]mailqueue.Reply, len(rcpts))
	for i := range replies {
		replies[i] = mailqueue.Reply{Code: 250, Enhanced: "2.0.0", Text: "delivered to maildir"}
	}
	d.Backend.logf("delivered from queue", "id", txn.ID, "rcpts", len(rcpts))
	return replies, nil
}

// Close closes Next if it can be closed (the queue calls it on Shutdown).
func (d LocalDeliverer) Close() error {
	if c, ok := d.Next.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
