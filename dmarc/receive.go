package dmarc

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/rfc5322"
	"github.com/relaykit/relaykit/spf"
)

// Receiver runs the checks a receiving mail server makes on a message:
// SPF (RFC 7208) for the client and the MAIL FROM identity, DKIM (RFC
// 6376) for every signature, and DMARC (RFC 7489) on top of both. It
// writes the Authentication-Results field (RFC 8601) to prepend and says
// whether the author domain's policy asks for the message to be refused.
// Build it with NewReceiver or fill the three checkers yourself.
type Receiver struct {
	// ServID is the authserv-id of the Authentication-Results field:
	// the receiving host's name (RFC 8601 2.5).
	ServID string
	SPF    *spf.Checker
	DKIM   *dkim.Verifier
	DMARC  *Checker
}

// NewReceiver returns a Receiver whose three checkers ask r (which
// answers TXT, address, MX and PTR questions: *net.Resolver, or relaykit's
// resolver through a small adapter) and use psl for organizational
// domains. servID names the receiving host in Authentication-Results.
func NewReceiver(servID string, r spf.Resolver, psl *PublicSuffixList) *Receiver {
	return &Receiver{
		ServID: servID,
		SPF:    &spf.Checker{Resolver: r, Receiver: servID},
		DKIM:   &dkim.Verifier{Resolver: r},
		DMARC:  &Checker{Resolver: r, PSL: psl},
	}
}

// Envelope is what the SMTP session knows about a message before its
// content.
type Envelope struct {
	// IP is the SMTP client's address.
	IP netip.Addr
	// Helo is the name given in HELO or EHLO.
	Helo string
	// MailFrom is the reverse-path without angle brackets; empty for the
	// null reverse-path "<>".
	MailFrom string
	// SPF, if set, is the result CheckMailFrom gave during the session;
	// Evaluate uses it instead of checking again.
	SPF *spf.Outcome
}

// CheckMailFrom runs SPF for the MAIL FROM identity (or, for the null
// reverse-path, the HELO identity; RFC 7208 2.4). A server may call it
// right after MAIL FROM, refuse a fail there (550 5.7.23, RFC 7372 3.2)
// if its policy says so, and keep the result in Envelope.SPF for
// Evaluate.
func (rc *Receiver) CheckMailFrom(ctx context.Context, env Envelope) spf.Outcome {
	return rc.SPF.Check(ctx, env.IP, env.Helo, env.MailFrom)
}

// Verdict is the outcome of Evaluate.
type Verdict struct {
	SPF  spf.Outcome
	DKIM []dkim.Result
	// FromDomain is the author domain; empty when the From field gives
	// none (then DMARC is permerror with ErrFrom).
	FromDomain string
	DMARC      Outcome
	// AuthResults is the Authentication-Results field for the checks;
	// Field formats it.
	AuthResults dkim.AuthResults
	// Reject is set when the DMARC policy that applies is p=reject (after
	// pct= sampling) and the message failed: the server should refuse it
	// with 550 5.7.1 and Reason (RFC 7489 6.7, 10.1).
	Reject bool
	// Quarantine is set for a failing message under p=quarantine: accept
	// it but treat it as suspicious (a junk folder).
	Quarantine bool
	// Reason says in one line why DMARC failed; empty for a pass.
	Reason string
}

// Field returns the Authentication-Results header field, name included,
// folded and ending in CRLF, to put in front of the message.
func (v *Verdict) Field() []byte {
	return []byte("Authentication-Results: " + v.AuthResults.String() + "\r\n")
}

// Reply returns the SMTP reply for a rejected message: code 550,
// enhanced status 5.7.1 (RFC 3463: delivery not authorized) and the text.
func (v *Verdict) Reply() (code int, enhanced, text string) {
	return 550, "5.7.1", v.Reason
}

// Evaluate checks a message received in an SMTP transaction: msg is the
// content after DATA (header, empty line, body; CRLF or LF line ends).
// It runs SPF (unless env.SPF holds the MAIL FROM result), verifies every
// DKIM signature, evaluates DMARC for the From domain and builds the
// Authentication-Results field. The error reports only a header that
// cannot be parsed; the Verdict then still holds the SPF result.
func (rc *Receiver) Evaluate(ctx context.Context, env Envelope, msg []byte) (*Verdict, error) {
	v := &Verdict{AuthResults: dkim.AuthResults{ServID: rc.ServID}}
	if env.SPF != nil {
		v.SPF = *env.SPF
	} else {
		v.SPF = rc.CheckMailFrom(ctx, env)
	}
	v.AuthResults.Results = append(v.AuthResults.Results, spfAuthResult(&v.SPF, env))
	hdr, _, err := rfc5322.ParseHeader(msg)
	if err != nil {
		return v, fmt.Errorf("dmarc: message header: %w", err)
	}
	v.DKIM, err = rc.DKIM.Verify(ctx, bytes.NewReader(msg))
	if err != nil {
		return v, fmt.Errorf("dmarc: message: %w", err)
	}
	if len(v.DKIM) == 0 {
		v.AuthResults.Results = append(v.AuthResults.Results, dkim.MethodResult{Method: "dkim", Result: "none"})
	}
	for i := range v.DKIM {
		v.AuthResults.Results = append(v.AuthResults.Results, v.DKIM[i].AuthResult())
	}
	v.FromDomain, err = FromDomain(hdr)
	if err != nil {
		// RFC 7489 6.6.1: no single author domain; no policy can be
		// applied, which we report as permerror.
		v.DMARC = Outcome{Result: PermError, Disposition: PolicyNone, Err: err}
	} else {
		v.DMARC = rc.DMARC.Check(ctx, Input{
			FromDomain:     v.FromDomain,
			SPF:            v.SPF.Result,
			MailFromDomain: v.SPF.Domain,
			DKIM:           v.DKIM,
		})
	}
	v.AuthResults.Results = append(v.AuthResults.Results, v.DMARC.AuthResult(v.FromDomain))
	if v.DMARC.Result == Fail {
		v.Reject = v.DMARC.Disposition == PolicyReject
		v.Quarantine = v.DMARC.Disposition == PolicyQuarantine
		v.Reason = failReason(v)
	}
	return v, nil
}

// spfAuthResult is the spf resinfo: smtp.mailfrom for a reverse-path,
// smtp.helo for the null one (RFC 8601 2.7.2).
func spfAuthResult(o *spf.Outcome, env Envelope) dkim.MethodResult {
	m := dkim.MethodResult{Method: "spf", Result: string(o.Result)}
	if o.Err != nil {
		m.Reason = o.Err.Error()
	}
	if env.MailFrom != "" {
		m.Props = append(m.Props, dkim.Prop{Type: "smtp", Name: "mailfrom", Value: env.MailFrom})
	} else {
		m.Props = append(m.Props, dkim.Prop{Type: "smtp", Name: "helo", Value: env.Helo})
	}
	return m
}

// failReason explains a DMARC fail: the policy, and what each mechanism
// authenticated instead of the author domain.
func failReason(v *Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "DMARC policy of %s is %s: ", v.DMARC.PolicyDomain, v.DMARC.Policy)
	fmt.Fprintf(&b, "nothing authenticated %s (SPF %s for %s", v.FromDomain, v.SPF.Result, v.SPF.Domain)
	if v.SPF.Result == spf.Pass {
		b.WriteString(", not aligned")
	}
	if len(v.DKIM) == 0 {
		b.WriteString("; no DKIM signature)")
		return b.String()
	}
	for _, r := range v.DKIM {
		d := "?"
		if r.Signature != nil {
			d = r.Signature.Domain
		}
		fmt.Fprintf(&b, "; DKIM %s for %s", r.Status, d)
		if r.Status == dkim.Pass {
			b.WriteString(", not aligned")
		}
	}
	b.WriteString(")")
	return b.String()
}
