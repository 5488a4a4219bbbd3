package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
)

// traceHierarchy is root -> fr. -> crepes.fr. on 127.0.0.2-4.
func traceHierarchy(t *testing.T) *dnstest.Hierarchy {
	t.Helper()
	return dnstest.New(t, dnstest.Config{
		Zones: map[string]string{
			".": `@ 86400 SOA a.root.test. hostmaster.root.test. 1 1800 900 604800 86400
@ 86400 NS a.root.test.
a.root.test. 86400 A 127.0.0.2
fr. 172800 NS ns.fr.
ns.fr. 172800 A 127.0.0.3`,
			"fr.": `@ 86400 SOA ns.fr. hostmaster.fr. 1 1800 900 604800 86400
@ 86400 NS ns.fr.
ns 86400 A 127.0.0.3
crepes 86400 NS ns.crepes.fr.
ns.crepes 86400 A 127.0.0.4`,
			"crepes.fr.": `@ 3600 SOA ns hostmaster 1 3600 600 86400 300
@ 3600 NS ns
ns 3600 A 127.0.0.4
@ 3600 MX 10 mail
mail 3600 A 127.0.0.20`,
		},
	})
}

func TestTraceFromPrivateRoot(t *testing.T) {
	h := traceHierarchy(t)
	root := h.RootHints()[0].String()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-trace", "-root", root, "crepes.fr", "MX"}, &out, &errb, time.Now)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	got := out.String()
	// Each level of the hierarchy was asked, in order, and the answer is
	// the MX record.
	order := []string{
		"127.0.0.2#",   // root
		"fr.\t",        // referral to fr.
		"127.0.0.3#",   // fr. servers
		"crepes.fr.\t", // referral to crepes.fr.
		"127.0.0.4#",   // authoritative
		";; RESULT: status: NOERROR, ANSWER: 1",
	}
	pos := 0
	for _, w := range order {
		i := strings.Index(got[pos:], w)
		if i < 0 {
			t.Fatalf("trace lacks %q after offset %d:\n%s", w, pos, got)
		}
		pos += i + len(w)
	}
	if !regexp.MustCompile(`(?i)crepes\.fr\.\s+\d+\s+IN\s+MX\s+10 mail\.crepes\.fr\.`).MatchString(got) {
		t.Errorf("no MX answer in:\n%s", got)
	}
}

func TestTraceNXDomainAndFailure(t *testing.T) {
	h := traceHierarchy(t)
	root := h.RootHints()[0].String()
	var out bytes.Buffer
	if code := run(context.Background(), []string{"+trace", "-root", root, "nope.crepes.fr"}, &out, &out, time.Now); code != 0 {
		t.Fatalf("NXDOMAIN trace: exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "status: NXDOMAIN") {
		t.Errorf("no NXDOMAIN in:\n%s", out.String())
	}
	// Every server refuses: the resolution fails, exit 1.
	for _, s := range h.Servers() {
		s.SetFault(dnstest.Fault{Lame: true})
	}
	out.Reset()
	if code := run(context.Background(), []string{"-trace", "-root", root, "-timeout", "1s", "crepes.fr"}, &out, &out, time.Now); code != 1 {
		t.Errorf("lame hierarchy: exit %d, want 1\n%s", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-trace", "-root", "nohost", "x.fr"}, &out, &out, time.Now); code != 2 {
		t.Errorf("bad -root: exit %d, want 2", code)
	}
}
