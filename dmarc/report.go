package dmarc

import (
	"encoding/xml"
	"io"
	"net/netip"
	"strings"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/spf"
)

// Feedback is an aggregate report (RFC 7489 7.2 and the XML schema of
// appendix C): metadata, the policy published, and one record per
// (source address, identifiers, results) row.
type Feedback struct {
	XMLName         xml.Name        `xml:"feedback"`
	Version         string          `xml:"version,omitempty"`
	ReportMetadata  ReportMetadata  `xml:"report_metadata"`
	PolicyPublished PolicyPublished `xml:"policy_published"`
	Records         []ReportRecord  `xml:"record"`
}

// ReportMetadata is the report_metadata element.
type ReportMetadata struct {
	OrgName          string    `xml:"org_name"`
	Email            string    `xml:"email"`
	ExtraContactInfo string    `xml:"extra_contact_info,omitempty"`
	ReportID         string    `xml:"report_id"`
	DateRange        DateRange `xml:"date_range"`
	Errors           []string  `xml:"error,omitempty"`
}

// DateRange is the date_range element, in seconds since the epoch.
type DateRange struct {
	Begin int64 `xml:"begin"`
	End   int64 `xml:"end"`
}

// PolicyPublished is the policy_published element.
type PolicyPublished struct {
	Domain string    `xml:"domain"`
	ADKIM  Alignment `xml:"adkim,omitempty"`
	ASPF   Alignment `xml:"aspf,omitempty"`
	P      Policy    `xml:"p"`
	SP     Policy    `xml:"sp,omitempty"`
	Pct    int       `xml:"pct"`
	FO     string    `xml:"fo,omitempty"`
}

// ReportRecord is one record element: what a receiver keeps per message
// (or per group of identical messages, Count).
type ReportRecord struct {
	Row         Row         `xml:"row"`
	Identifiers Identifiers `xml:"identifiers"`
	AuthResults AuthResults `xml:"auth_results"`
}

// Row is the row element.
type Row struct {
	SourceIP        string          `xml:"source_ip"`
	Count           int             `xml:"count"`
	PolicyEvaluated PolicyEvaluated `xml:"policy_evaluated"`
}

// PolicyEvaluated is the policy_evaluated element.
type PolicyEvaluated struct {
	Disposition Policy           `xml:"disposition"`
	DKIM        string           `xml:"dkim"` // pass or fail (aligned)
	SPF         string           `xml:"spf"`  // pass or fail (aligned)
	Reasons     []PolicyOverride `xml:"reason,omitempty"`
}

// PolicyOverride is a reason element: why the disposition differs from
// the policy (e.g. "sampled_out" for pct=).
type PolicyOverride struct {
	Type    string `xml:"type"`
	Comment string `xml:"comment,omitempty"`
}

// Identifiers is the identifiers element.
type Identifiers struct {
	EnvelopeTo   string `xml:"envelope_to,omitempty"`
	EnvelopeFrom string `xml:"envelope_from,omitempty"`
	HeaderFrom   string `xml:"header_from"`
}

// AuthResults is the auth_results element: the raw (unaligned) results.
type AuthResults struct {
	DKIM []DKIMAuthResult `xml:"dkim,omitempty"`
	SPF  []SPFAuthResult  `xml:"spf"`
}

// DKIMAuthResult is one dkim element of auth_results.
type DKIMAuthResult struct {
	Domain      string `xml:"domain"`
	Selector    string `xml:"selector,omitempty"`
	Result      string `xml:"result"`
	HumanResult string `xml:"human_result,omitempty"`
}

// SPFAuthResult is the spf element of auth_results.
type SPFAuthResult struct {
	Domain string `xml:"domain"`
	Scope  string `xml:"scope,omitempty"` // helo or mfrom
	Result string `xml:"result"`
}

// ReportRecord returns the aggregate report record for one message
// evaluated with in and giving o, received from source.
func (o *Outcome) ReportRecord(source netip.Addr, in Input, envelopeTo string) ReportRecord {
	pe := PolicyEvaluated{Disposition: o.Disposition, DKIM: "fail", SPF: "fail"}
	if o.DKIMAligned {
		pe.DKIM = "pass"
	}
	if o.SPFAligned {
		pe.SPF = "pass"
	}
	if o.SampledOut {
		pe.Reasons = append(pe.Reasons, PolicyOverride{Type: "sampled_out"})
	}
	r := ReportRecord{
		Row: Row{SourceIP: source.String(), Count: 1, PolicyEvaluated: pe},
		Identifiers: Identifiers{
			EnvelopeTo: envelopeTo, EnvelopeFrom: in.MailFromDomain,
			HeaderFrom: strings.ToLower(in.FromDomain),
		},
	}
	for _, d := range in.DKIM {
		if d.Signature == nil {
			continue
		}
		res := string(d.Status)
		if d.Status == dkim.Neutral {
			res = "neutral"
		}
		hr := ""
		if d.Err != nil {
			hr = d.Err.Error()
		}
		r.AuthResults.DKIM = append(r.AuthResults.DKIM, DKIMAuthResult{
			Domain: d.Signature.Domain, Selector: d.Signature.Selector, Result: res, HumanResult: hr,
		})
	}
	spfRes := string(in.SPF)
	if in.SPF == "" {
		spfRes = string(spf.None)
	}
	r.AuthResults.SPF = []SPFAuthResult{{Domain: in.MailFromDomain, Scope: "mfrom", Result: spfRes}}
	return r
}

// PolicyPublished returns the policy_published element for a record
// found at domain.
func (r *Record) PolicyPublished(domain string) PolicyPublished {
	return PolicyPublished{Domain: domain, ADKIM: r.ADKIM, ASPF: r.ASPF, P: r.Policy,
		SP: r.SubdomainPolicy, Pct: r.Percent, FO: r.FailureOptions}
}

// WriteTo writes the report as an XML document.
func (f *Feedback) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	if _, err := io.WriteString(cw, xml.Header); err != nil {
		return cw.n, err
	}
	enc := xml.NewEncoder(cw)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return cw.n, err
	}
	_, err := io.WriteString(cw, "\n")
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
