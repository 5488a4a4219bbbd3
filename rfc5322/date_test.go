package rfc5322

import (
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 with offset
		zone string // zone name, checked if not ""
	}{
		{"Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00", ""},
		{"21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00", ""},
		{"Fri, 21 Nov 1997 09:55 -0600", "1997-11-21T09:55:00-06:00", ""},
		{"Thu, 1 Jan 2026 00:00:00 +0000", "2026-01-01T00:00:00Z", ""},
		{"Thu,1 Jan 2026 00:00:00 +0000", "2026-01-01T00:00:00Z", ""},
		// RFC 5322 A.6.3: obsolete form with comments and spaces.
		{"Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)", "1969-02-13T23:32:00-03:30", ""},
		// RFC 5322 A.1.1 and others.
		{"Fri, 21 Nov 1997 09:55:06 -0600 (CST)", "1997-11-21T09:55:06-06:00", ""},
		{"Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00", ""},
		// Two- and three-digit years (4.3).
		{"21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06Z", ""},
		{"21 Nov 49 09:55:06 GMT", "2049-11-21T09:55:06Z", ""},
		{"21 Nov 50 09:55:06 GMT", "1950-11-21T09:55:06Z", ""},
		{"21 Nov 103 09:55:06 UT", "2003-11-21T09:55:06Z", ""},
		// Obsolete zones (4.3).
		{"26 Nov 2026 00:14:04 EST", "2026-11-26T00:14:04-05:00", "EST"},
		{"26 Nov 2026 00:14:04 edt", "2026-11-26T00:14:04-04:00", "EDT"},
		{"26 Nov 2026 00:14:04 CST", "2026-11-26T00:14:04-06:00", ""},
		{"26 Nov 2026 00:14:04 CDT", "2026-11-26T00:14:04-05:00", ""},
		{"26 Nov 2026 00:14:04 MST", "2026-11-26T00:14:04-07:00", ""},
		{"26 Nov 2026 00:14:04 MDT", "2026-11-26T00:14:04-06:00", ""},
		{"26 Nov 2026 00:14:04 PST", "2026-11-26T00:14:04-08:00", "PST"},
		{"26 Nov 2026 00:14:04 PDT", "2026-11-26T00:14:04-07:00", "PDT"},
		{"26 Nov 2026 00:14:04 Z", "2026-11-26T00:14:04Z", "-0000"},
		{"26 Nov 2026 00:14:04 A", "2026-11-26T00:14:04Z", "-0000"},
		{"26 Nov 2026 00:14:04 CET", "2026-11-26T00:14:04Z", "-0000"},
		{"26 Nov 2026 00:14:04 -0000", "2026-11-26T00:14:04Z", "-0000"},
		{"26 Nov 2026 00:14:04 +0000", "2026-11-26T00:14:04Z", "UTC"},
		// Leap second and leap day.
		{"31 Dec 2016 23:59:60 +0000", "2017-01-01T00:00:00Z", ""},
		{"29 Feb 2024 12:00:00 +0000", "2024-02-29T12:00:00Z", ""},
		{"  Sat , 29 Feb 2000 12:00:00 +0000 ", "2000-02-29T12:00:00Z", ""},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if s := got.Format(time.RFC3339); s != tt.want {
			t.Errorf("%q = %s, want %s", tt.in, s, tt.want)
		}
		if name, _ := got.Zone(); tt.zone != "" && name != tt.zone {
			t.Errorf("%q zone = %q, want %q", tt.in, name, tt.zone)
		}
	}
}

func TestParseDateErrors(t *testing.T) {
	for _, in := range []string{
		"", "Fri", "Fri, 21 Nov", "Fri 21 Nov 1997 09:55:06 -0600",
		"Fro, 21 Nov 1997 09:55:06 -0600", "32 Nov 1997 09:55:06 -0600",
		"31 Nov 1997 09:55:06 -0600", "29 Feb 2023 09:55:06 -0600",
		"21 Nox 1997 09:55:06 -0600", "21 Nov 1 09:55:06 -0600",
		"21 Nov 1997 24:00:00 -0600", "21 Nov 1997 09:60:00 -0600",
		"21 Nov 1997 09:55:61 -0600", "21 Nov 1997 09:55:06", "21 Nov 1997 09:55:06 -06",
		"21 Nov 1997 09:55:06 -0660", "21 Nov 1997 09:55:06 J", "21 Nov 1997 09:55:06 +0000 x",
		"21 Nov 1997 09:55:06 +0000 (unterminated", "21 Nov 1899 09:55:06 +0000",
		"123 Nov 1997 09:55:06 +0000", "21 Nov 1997777777 09:55:06 +0000",
	} {
		_, err := ParseDate(in)
		var pe *ParseError
		if !errors.Is(err, ErrInvalidDate) || !errors.As(err, &pe) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestFormatDate(t *testing.T) {
	tm := time.Date(2026, 11, 6, 9, 4, 5, 0, time.FixedZone("", 3600))
	if got := FormatDate(tm); got != "Fri, 06 Nov 2026 09:04:05 +0100" {
		t.Errorf("FormatDate = %q", got)
	}
	back, err := ParseDate(FormatDate(tm))
	if err != nil || !back.Equal(tm) {
		t.Errorf("round trip: %v %v", back, err)
	}
	if got := string(AppendDate([]byte("Date: "), tm)); got != "Date: Fri, 06 Nov 2026 09:04:05 +0100" {
		t.Errorf("AppendDate = %q", got)
	}
}
