package mailqueue

import (
	"crypto/tls"
	"net/netip"
	"time"

	"github.com/relaykit/relaykit/rfc5322"
)

// Received describes the trace field a server prepends to a message it
// accepts (RFC 5321 4.4), before enqueueing it.
type Received struct {
	// Helo is the name the client gave in EHLO or HELO; empty prints
	// "unknown".
	Helo string
	// Addr is the client's address.
	Addr netip.Addr
	// By is this server's name.
	By string
	// ID is the queue ID or other identifier the field names.
	ID string
	// For is the one recipient, printed only when the message has
	// exactly one (more would disclose the other recipients).
	For string
	// TLS is the connection's TLS state, nil for plaintext; Auth is true
	// for an authenticated client. They choose the RFC 3848 protocol
	// keyword (ESMTP, ESMTPS, ESMTPA, ESMTPSA), and TLS adds a comment
	// naming the version and cipher, as Postfix writes.
	TLS  *tls.ConnectionState
	Auth bool
	// Date is when the message was received.
	Date time.Time
}

// AppendReceived appends the field, CRLF included, to dst:
//
//	Received: from HELO ([addr])
//		(using TLS1.3 with cipher TLS_AES_128_GCM_SHA256)
//		by host (relaykit) with ESMTPS id N
//		for <rcpt>;
//		date
//
// It builds the field without fmt: a relay writes one per message.
func AppendReceived(dst []byte, r *Received) []byte {
	proto := "ESMTP"
	switch {
	case r.TLS != nil && r.Auth:
		proto = "ESMTPSA"
	case r.TLS != nil:
		proto = "ESMTPS"
	case r.Auth:
		proto = "ESMTPA"
	}
	helo := r.Helo
	if helo == "" {
		helo = "unknown"
	}
	// RFC 5321 4.4: "from" names the client as it introduced itself,
	// with its address as a TCP-info comment.
	dst = append(dst, "Received: from "...)
	dst = append(dst, helo...)
	dst = append(dst, " (["...)
	dst = r.Addr.AppendTo(dst)
	dst = append(dst, "])"...)
	if r.TLS != nil {
		dst = append(dst, "\r\n\t(using "...)
		dst = append(dst, tls.VersionName(r.TLS.Version)...)
		dst = append(dst, " with cipher "...)
		dst = append(dst, tls.CipherSuiteName(r.TLS.CipherSuite)...)
		dst = append(dst, ')')
	}
	dst = append(dst, "\r\n\tby "...)
	dst = append(dst, r.By...)
	dst = append(dst, " (relaykit) with "...)
	dst = append(dst, proto...)
	if r.ID != "" {
		dst = append(dst, " id "...)
		dst = append(dst, r.ID...)
	}
	if r.For != "" {
		dst = append(dst, "\r\n\tfor <"...)
		dst = append(dst, r.For...)
		dst = append(dst, '>')
	}
	dst = append(dst, ";\r\n\t"...)
	dst = rfc5322.AppendDate(dst, r.Date)
	return append(dst, "\r\n"...)
}
