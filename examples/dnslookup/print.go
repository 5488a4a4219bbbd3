package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// printExchange writes ex as dig(1) does: header, flags, EDNS, the four
// sections, then query time, server, date and size. when is the time
// printed on the WHEN line (a parameter so tests are deterministic).
func printExchange(w io.Writer, ex *exchange, when time.Time) {
	m := ex.Msg
	fmt.Fprintln(w, ";; Got answer:")
	fmt.Fprintf(w, ";; ->>HEADER<<- opcode: %s, status: %s, id: %d\n", m.Opcode, m.RCode, m.ID)
	add := 0
	if m.EDNS != nil {
		add = 1 // dig counts the OPT record it shows as a pseudosection
	}
	fmt.Fprintf(w, ";; flags:%s; QUERY: %d, ANSWER: %d, AUTHORITY: %d, ADDITIONAL: %d\n",
		flagString(m.Header), len(m.Question), len(m.Answer), len(m.Ns), len(m.Extra)+add)
	if m.RecursionDesired && !m.RecursionAvailable {
		fmt.Fprintln(w, ";; WARNING: recursion requested but not available")
	}
	fmt.Fprintln(w)
	if e := m.EDNS; e != nil {
		fmt.Fprintln(w, ";; OPT PSEUDOSECTION:")
		flags := ""
		if e.DO {
			flags = " do"
		}
		fmt.Fprintf(w, "; EDNS: version: %d, flags:%s; udp: %d\n", e.Version, flags, e.UDPSize)
		for _, o := range e.Options {
			fmt.Fprintf(w, "; OPTION %d: %x\n", o.Code, o.Data)
		}
	}
	if len(m.Question) > 0 {
		fmt.Fprintln(w, ";; QUESTION SECTION:")
		for _, q := range m.Question {
			fmt.Fprintln(w, questionLine(q))
		}
		fmt.Fprintln(w)
	}
	printSection(w, "ANSWER", m.Answer)
	printSection(w, "AUTHORITY", m.Ns)
	printSection(w, "ADDITIONAL", m.Extra)
	proto := "UDP"
	if ex.TCP {
		proto = "TCP"
	}
	fmt.Fprintf(w, ";; Query time: %d msec\n", ex.RTT.Milliseconds())
	fmt.Fprintf(w, ";; SERVER: %s (%s)\n", serverString(ex.Server), proto)
	fmt.Fprintf(w, ";; WHEN: %s\n", when.Format("Mon Jan 02 15:04:05 MST 2006"))
	fmt.Fprintf(w, ";; MSG SIZE  rcvd: %d\n", ex.Size)
	fmt.Fprintln(w)
}

// flagString lists the header flags in dig's order, each after a space.
func flagString(h dnswire.Header) string {
	var b strings.Builder
	for _, f := range []struct {
		on   bool
		name string
	}{
		{h.Response, "qr"}, {h.Authoritative, "aa"}, {h.Truncated, "tc"},
		{h.RecursionDesired, "rd"}, {h.RecursionAvailable, "ra"},
		{h.AuthenticData, "ad"}, {h.CheckingDisabled, "cd"},
	} {
		if f.on {
			b.WriteString(" " + f.name)
		}
	}
	return b.String()
}

func printSection(w io.Writer, title string, rrs []dnswire.RR) {
	if len(rrs) == 0 {
		return
	}
	fmt.Fprintf(w, ";; %s SECTION:\n", title)
	for i := range rrs {
		fmt.Fprintln(w, rrLine(&rrs[i]))
	}
	fmt.Fprintln(w)
}

// rrLine is a record in master-file form with dig's tab layout: the
// owner name padded with tabs to column 24, then TTL, class, type, data.
func rrLine(rr *dnswire.RR) string {
	var b strings.Builder
	b.WriteString(padName(rr.Name.String(), 0))
	b.WriteString(strconv.FormatUint(uint64(rr.TTL), 10))
	b.WriteString("\t" + rr.Class.String() + "\t" + rr.Type.String() + "\t")
	if rr.Data != nil {
		b.WriteString(rr.Data.String())
	}
	return b.String()
}

func questionLine(q dnswire.Question) string {
	return ";" + padName(q.Name.String(), 1) + "\t" + q.Class.String() + "\t" + q.Type.String()
}

// padName appends tabs to name (which starts at column col) until column
// 24, always at least one.
func padName(name string, col int) string {
	col += len(name)
	name += "\t"
	col = (col/8 + 1) * 8
	for col < 24 {
		name += "\t"
		col += 8
	}
	return name
}

// serverString prints host:port as dig does, "host#port(host)".
func serverString(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return host + "#" + port + "(" + host + ")"
}
