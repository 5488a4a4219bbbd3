package rfc5322

import (
	"time"
)

// DateLayout is the RFC 5322 3.3 preferred form, as a time layout.
const DateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// FormatDate formats t in the preferred form of RFC 5322 3.3: day of
// week, two-digit day, four-digit year (or more), seconds, numeric zone.
// A time in the zone ParseDate returns for "-0000" (a fixed zone named
// "-0000" with offset 0) is written with -0000, which RFC 5322 3.3 says
// means the local zone is unknown.
func FormatDate(t time.Time) string { return string(AppendDate(nil, t)) }

// AppendDate appends FormatDate(t) to dst.
func AppendDate(dst []byte, t time.Time) []byte {
	dst = t.AppendFormat(dst, DateLayout)
	if name, off := t.Zone(); off == 0 && name == "-0000" {
		dst[len(dst)-5] = '-'
	}
	return dst
}

// Lower-case month and weekday abbreviations, three letters each.
const (
	monthNames   = "janfebmaraprmayjunjulaugsepoctnovdec"
	weekdayNames = "sunmontuewedthufrisat"
)

// ParseDate parses an RFC 5322 date-time (3.3), accepting the obsolete
// forms of 4.3: CFWS (comments included) between tokens, a missing day of
// week and seconds, two-digit years (00-49 are 2000-2049, 50-99 are
// 1950-1999) and three-digit years (+1900), and the obsolete zones: UT and
// GMT are +0000, EST/EDT -0500/-0400, CST/CDT -0600/-0500, MST/MDT
// -0700/-0600, PST/PDT -0800/-0700. Military single-letter zones and other
// alphabetic zones are read as -0000 ("no zone information"), as 4.3
// says; so is "-0000" itself. Zones of -0000 come back as a fixed zone
// named "-0000" with offset 0.
//
// The day of week, when present, is not checked against the date.
func ParseDate(s string) (time.Time, error) {
	p := dateParser{s: s}
	t, ok := p.parse()
	if !ok {
		return time.Time{}, &ParseError{What: "date", Offset: p.i, Msg: p.msg, Err: ErrInvalidDate}
	}
	return t, nil
}

type dateParser struct {
	s   string
	i   int
	msg string
}

func (p *dateParser) fail(msg string) bool {
	p.msg = msg
	return false
}

// cfws skips whitespace (folding included) and comments.
func (p *dateParser) cfws() bool {
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.i++
		case c == '(':
			n, ok := skipComment(p.s, p.i)
			if !ok {
				return p.fail("bad or unterminated comment")
			}
			p.i = n
		default:
			return true
		}
	}
	return true
}

func (p *dateParser) alpha() string {
	st := p.i
	for p.i < len(p.s) && isAlpha(p.s[p.i]) {
		p.i++
	}
	return p.s[st:p.i]
}

func (p *dateParser) digits(min, max int) (int, int, bool) {
	st := p.i
	v := 0
	for p.i < len(p.s) && p.i-st < max && isDigit(p.s[p.i]) {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	n := p.i - st
	if n < min || (p.i < len(p.s) && isDigit(p.s[p.i])) {
		return 0, n, false
	}
	return v, n, true
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func lowerIs(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

func (p *dateParser) parse() (time.Time, bool) {
	if !p.cfws() {
		return time.Time{}, false
	}
	// [ day-of-week "," ]
	if p.i < len(p.s) && isAlpha(p.s[p.i]) {
		w := p.alpha()
		ok := false
		for k := 0; k < len(weekdayNames); k += 3 {
			if lowerIs(w, weekdayNames[k:k+3]) {
				ok = true
			}
		}
		if !ok {
			return time.Time{}, p.fail("bad day of week")
		}
		if !p.cfws() {
			return time.Time{}, false
		}
		if p.i >= len(p.s) || p.s[p.i] != ',' {
			return time.Time{}, p.fail("missing comma after day of week")
		}
		p.i++
		if !p.cfws() {
			return time.Time{}, false
		}
	}
	// day = ([FWS] 1*2DIGIT FWS) / obs-day
	day, _, ok := p.digits(1, 2)
	if !ok {
		return time.Time{}, p.fail("bad day")
	}
	if !p.cfws() {
		return time.Time{}, false
	}
	m := p.alpha()
	month := 0
	for k := 0; k < len(monthNames); k += 3 {
		if lowerIs(m, monthNames[k:k+3]) {
			month = k/3 + 1
		}
	}
	if month == 0 {
		return time.Time{}, p.fail("bad month")
	}
	if !p.cfws() {
		return time.Time{}, false
	}
	// year = (FWS 4*DIGIT FWS) / obs-year (2*DIGIT); 4*DIGIT has no
	// upper bound, nine digits keep the value in an int everywhere.
	year, n, ok := p.digits(2, 9)
	if !ok {
		return time.Time{}, p.fail("bad year")
	}
	switch n {
	case 2: // RFC 5322 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999
		if year < 50 {
			year += 2000
		} else {
			year += 1900
		}
	case 3: // RFC 5322 4.3: three digits are added to 1900
		year += 1900
	}
	if year < 1900 {
		return time.Time{}, p.fail("year before 1900")
	}
	if !p.cfws() {
		return time.Time{}, false
	}
	hour, _, ok := p.digits(2, 2)
	if !ok || hour > 23 {
		return time.Time{}, p.fail("bad hour")
	}
	if !p.colon() {
		return time.Time{}, false
	}
	minute, _, ok := p.digits(2, 2)
	if !ok || minute > 59 {
		return time.Time{}, p.fail("bad minute")
	}
	sec := 0
	save := p.i
	if !p.cfws() {
		return time.Time{}, false
	}
	if p.i < len(p.s) && p.s[p.i] == ':' {
		p.i++
		if !p.cfws() {
			return time.Time{}, false
		}
		sec, _, ok = p.digits(2, 2)
		// 60 is a leap second (RFC 5322 3.3).
		if !ok || sec > 60 {
			return time.Time{}, p.fail("bad second")
		}
	} else {
		p.i = save
	}
	if day < 1 || day > daysIn(month, year) {
		return time.Time{}, p.fail("day out of range")
	}
	if !p.cfws() {
		return time.Time{}, false
	}
	loc, ok := p.zone()
	if !ok {
		return time.Time{}, false
	}
	if !p.cfws() {
		return time.Time{}, false
	}
	if p.i != len(p.s) {
		return time.Time{}, p.fail("trailing text")
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc), true
}

func (p *dateParser) colon() bool {
	if !p.cfws() {
		return false
	}
	if p.i >= len(p.s) || p.s[p.i] != ':' {
		return p.fail("missing colon in time")
	}
	p.i++
	return p.cfws()
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// noZone is the location of "-0000" and the zones read as it.
func noZone() *time.Location { return time.FixedZone("-0000", 0) }

func (p *dateParser) zone() (*time.Location, bool) {
	if p.i >= len(p.s) {
		return nil, p.fail("missing zone")
	}
	c := p.s[p.i]
	if c == '+' || c == '-' {
		p.i++
		v, _, ok := p.digits(4, 4)
		if !ok || v%100 > 59 {
			return nil, p.fail("bad zone")
		}
		off := (v/100*60 + v%100) * 60
		if c == '-' {
			if off == 0 {
				return noZone(), true
			}
			off = -off
		}
		if off == 0 {
			return time.UTC, true
		}
		return time.FixedZone("", off), true
	}
	z := p.alpha()
	if z == "" {
		return nil, p.fail("bad zone")
	}
	// obs-zone (RFC 5322 4.3).
	off, ok := 0, true
	switch {
	case lowerIs(z, "ut"), lowerIs(z, "gmt"):
		return time.UTC, true
	case lowerIs(z, "est"):
		off = -5
	case lowerIs(z, "edt"):
		off = -4
	case lowerIs(z, "cst"):
		off = -6
	case lowerIs(z, "cdt"):
		off = -5
	case lowerIs(z, "mst"):
		off = -7
	case lowerIs(z, "mdt"):
		off = -6
	case lowerIs(z, "pst"):
		off = -8
	case lowerIs(z, "pdt"):
		off = -7
	default:
		ok = false
	}
	if ok {
		return time.FixedZone(upperASCII(z), off*3600), true
	}
	// Military zones (one letter except J) and other alphabetic zones
	// "SHOULD all be considered equivalent to -0000" (RFC 5322 4.3).
	if len(z) == 1 && (z[0]|0x20) == 'j' {
		return nil, p.fail("bad zone")
	}
	return noZone(), true
}

// skipComment returns the index after the comment that starts at s[i]
// ('('), handling nesting and quoted-pairs (RFC 5322 3.2.2). ctext
// includes obs-ctext, the controls but NUL, CR and LF (4.1); CR and LF
// may appear only as folding. It runs in time linear in the comment's
// length.
func skipComment(s string, i int) (int, bool) {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case 0:
			return i, false
		case '\r', '\n':
			j := foldEnd(s, i)
			if j < 0 {
				return i, false
			}
			i = j
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case '\\':
			i++
			if i >= len(s) || isQPControl(s[i]) { // see scanQuoted
				return i, false
			}
		}
		i++
	}
	return i, false
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
