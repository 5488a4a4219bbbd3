package mailsrv

import "github.com/relaykit/relaykit/mailqueue/dnsroute"

// DNS is the public resolver -> mailqueue adapter, dnsroute.Resolver,
// under the name the examples have used.
type DNS = dnsroute.Resolver
