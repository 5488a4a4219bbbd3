// Package mailqueue is a durable outbound mail queue: it stores each message
// on disk before accepting responsibility for it, routes recipients through
// their domain's MX records, delivers over SMTP reusing connections, retries
// on a schedule, and bounces to the sender when delivery finally fails
// (RFC 3464).
package mailqueue
