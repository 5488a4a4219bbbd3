package mtasts

import (
	"encoding/json"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"
)

// ReportRecord is an _smtp._tls TXT record (RFC 8460 3).
type ReportRecord struct {
	// RUA are the report destinations: "mailto:" or "https:" URIs.
	RUA []string
}

// ParseReportRecord parses one TXT record (its strings joined):
//
//	tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//	tlsrpt-version = %s"v=TLSRPTv1"
//	tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//
// Unknown fields are ignored; rua is required and each URI must be
// mailto: or https:.
func ParseReportRecord(txt string) (ReportRecord, error) {
	fields, err := splitTags(txt, "v=TLSRPTv1", ErrReportSyntax)
	if err != nil {
		return ReportRecord{}, err
	}
	var r ReportRecord
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || !isExtName(k) {
			return ReportRecord{}, &SyntaxError{ErrReportSyntax, "field " + quote(f)}
		}
		if k != "rua" {
			continue
		}
		if r.RUA != nil {
			return ReportRecord{}, &SyntaxError{ErrReportSyntax, "repeated rua"}
		}
		r.RUA = []string{}
		for _, u := range strings.Split(v, ",") {
			u = strings.Trim(u, " \t")
			lu := strings.ToLower(u)
			if !(strings.HasPrefix(lu, "mailto:") && len(u) > 7 || strings.HasPrefix(lu, "https://") && len(u) > 8) || strings.ContainsAny(u, " \t;") {
				return ReportRecord{}, &SyntaxError{ErrReportSyntax, "rua URI " + quote(u)}
			}
			r.RUA = append(r.RUA, u)
		}
	}
	if r.RUA == nil {
		return ReportRecord{}, &SyntaxError{ErrReportSyntax, "no rua"}
	}
	return r, nil
}

// FindReportRecord picks the TLSRPTv1 record out of the TXT records at
// _smtp._tls.<domain>; more than one is an error (RFC 8460 3).
func FindReportRecord(txts []string) (ReportRecord, error) {
	return findOne(txts, "v=TLSRPTv1", ErrNoReportRecord, &SyntaxError{ErrReportSyntax, "more than one record"}, ParseReportRecord)
}

// ResultType is an RFC 8460 4.3 result type.
type ResultType string

// Result types (RFC 8460 4.3).
const (
	ResultSTARTTLSNotSupported    ResultType = "starttls-not-supported"
	ResultCertificateHostMismatch ResultType = "certificate-host-mismatch"
	ResultCertificateExpired      ResultType = "certificate-expired"
	ResultCertificateNotTrusted   ResultType = "certificate-not-trusted"
	ResultValidationFailure       ResultType = "validation-failure"
	ResultTLSAInvalid             ResultType = "tlsa-invalid"
	ResultDNSSECInvalid           ResultType = "dnssec-invalid"
	ResultDANERequired            ResultType = "dane-required"
	ResultSTSPolicyFetchError     ResultType = "sts-policy-fetch-error"
	ResultSTSPolicyInvalid        ResultType = "sts-policy-invalid"
	ResultSTSWebPKIInvalid        ResultType = "sts-webpki-invalid"
)

// PolicyType is RFC 8460 4.4's policy-type.
type PolicyType string

// Policy types.
const (
	PolicySTS      PolicyType = "sts"
	PolicyTLSA     PolicyType = "tlsa"
	PolicyNotFound PolicyType = "no-policy-found"
)

// Report is an RFC 8460 4.4 aggregate report; encoding/json writes it in
// the RFC's form.
type Report struct {
	OrganizationName string         `json:"organization-name"`
	DateRange        DateRange      `json:"date-range"`
	ContactInfo      string         `json:"contact-info"`
	ReportID         string         `json:"report-id"`
	Policies         []PolicyReport `json:"policies"`
}

// DateRange is the period a report covers, in RFC 3339 date-time.
type DateRange struct {
	Start time.Time `json:"start-datetime"`
	End   time.Time `json:"end-datetime"`
}

// PolicyReport is the sessions under one policy.
type PolicyReport struct {
	Policy         PolicyDesc      `json:"policy"`
	Summary        Summary         `json:"summary"`
	FailureDetails []FailureDetail `json:"failure-details,omitempty"`
}

// PolicyDesc says which policy applied.
type PolicyDesc struct {
	Type PolicyType `json:"policy-type"`
	// String is the policy's lines (MTA-STS) or TLSA records' text.
	String []string `json:"policy-string,omitempty"`
	Domain string   `json:"policy-domain"`
	MXHost []string `json:"mx-host,omitempty"`
}

// Summary counts sessions.
type Summary struct {
	Successful int64 `json:"total-successful-session-count"`
	Failed     int64 `json:"total-failure-session-count"`
}

// FailureDetail is one kind of failure and how often it happened.
type FailureDetail struct {
	ResultType            ResultType `json:"result-type"`
	SendingMTAIP          string     `json:"sending-mta-ip,omitempty"`
	ReceivingMXHostname   string     `json:"receiving-mx-hostname,omitempty"`
	ReceivingMXHelo       string     `json:"receiving-mx-helo,omitempty"`
	ReceivingIP           string     `json:"receiving-ip,omitempty"`
	FailedSessionCount    int64      `json:"failed-session-count"`
	AdditionalInformation string     `json:"additional-information,omitempty"`
	FailureReasonCode     string     `json:"failure-reason-code,omitempty"`
}

// Session is one TLS negotiation attempt, as a sending MTA records it.
type Session struct {
	Policy PolicyDesc
	// Result is "" for a success, else the failure's type.
	Result        ResultType
	SendingIP     netip.Addr
	ReceivingIP   netip.Addr
	MXHost        string
	ReasonCode    string // free text, such as the error
	AddedInfoURI  string // additional-information
	ReceivingHelo string
}

// Aggregate collects sessions per policy domain and builds reports. It is
// safe for concurrent use; the zero value is ready.
type Aggregate struct {
	mu       sync.Mutex
	policies map[string]*PolicyReport // by domain, type and policy text
}

// Add counts one session.
func (a *Aggregate) Add(s Session) {
	key := s.Policy.Domain + "\x00" + string(s.Policy.Type) + "\x00" + strings.Join(s.Policy.String, "\n") + "\x00" + strings.Join(s.Policy.MXHost, ",")
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.policies == nil {
		a.policies = make(map[string]*PolicyReport)
	}
	pr := a.policies[key]
	if pr == nil {
		pr = &PolicyReport{Policy: s.Policy}
		a.policies[key] = pr
	}
	if s.Result == "" {
		pr.Summary.Successful++
		return
	}
	pr.Summary.Failed++
	fd := FailureDetail{
		ResultType:            s.Result,
		ReceivingMXHostname:   s.MXHost,
		ReceivingMXHelo:       s.ReceivingHelo,
		AdditionalInformation: s.AddedInfoURI,
		FailureReasonCode:     s.ReasonCode,
	}
	if s.SendingIP.IsValid() {
		fd.SendingMTAIP = s.SendingIP.String()
	}
	if s.ReceivingIP.IsValid() {
		fd.ReceivingIP = s.ReceivingIP.String()
	}
	for i := range pr.FailureDetails {
		d := &pr.FailureDetails[i]
		c := *d
		c.FailedSessionCount = 0
		if c == fd {
			d.FailedSessionCount++
			return
		}
	}
	fd.FailedSessionCount = 1
	pr.FailureDetails = append(pr.FailureDetails, fd)
}

// Report returns r (the caller fills in the organization, date range,
// contact and report ID) with the sessions counted for policyDomain, or
// for every domain when it is "", and forgets those sessions so that the
// next report starts afresh.
func (a *Aggregate) Report(policyDomain string, r Report) Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := make([]string, 0, len(a.policies))
	for k, pr := range a.policies {
		if policyDomain == "" || strings.EqualFold(pr.Policy.Domain, policyDomain) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	r.Policies = make([]PolicyReport, 0, len(keys))
	for _, k := range keys {
		r.Policies = append(r.Policies, *a.policies[k])
		delete(a.policies, k)
	}
	return r
}

// MarshalJSON writes the report with its dates in UTC (RFC 8460 4.4:
// date-time as in RFC 3339).
func (d DateRange) MarshalJSON() ([]byte, error) {
	type dr struct {
		Start string `json:"start-datetime"`
		End   string `json:"end-datetime"`
	}
	return json.Marshal(dr{d.Start.UTC().Format(time.RFC3339), d.End.UTC().Format(time.RFC3339)})
}

// PolicyStrings splits a policy's text into the lines TLS-RPT's
// policy-string holds.
func (p *Policy) PolicyStrings() []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(p.Text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
