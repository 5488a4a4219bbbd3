package rfc5322

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	fuzz "github.com/google/gofuzz"
)

// Structured round trips (issue 15, "Tests the user asked for"): gofuzz
// fills address lists and dates with legal values, and cmp.Diff shows
// what came back different after formatting and parsing.

func pick(c fuzz.Continue, set string) byte { return set[c.Intn(len(set))] }

// fuzzDisplayName: words of atext, specials that force quoting, quotes and
// backslashes that need quoted-pairs, and non-ASCII that needs RFC 2047
// encoded words; single spaces between words.
func fuzzDisplayName(c fuzz.Continue) string {
	if c.Intn(4) == 0 {
		return ""
	}
	words := make([]string, 1+c.Intn(4))
	for i := range words {
		var sb strings.Builder
		for range 1 + c.Intn(8) {
			switch c.Intn(10) {
			case 0:
				sb.WriteByte(pick(c, `()<>[]:;@\,."`))
			case 1:
				r := []rune("éüßøñ日本語Ωж")
				sb.WriteRune(r[c.Intn(len(r))])
			default:
				sb.WriteByte(pick(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"))
			}
		}
		words[i] = sb.String()
	}
	return strings.Join(words, " ")
}

func fuzzLocalPart(c fuzz.Continue) string {
	atoms := make([]string, 1+c.Intn(3))
	for i := range atoms {
		var sb strings.Builder
		for range 1 + c.Intn(10) {
			sb.WriteByte(pick(c, "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~"))
		}
		atoms[i] = sb.String()
	}
	return strings.Join(atoms, ".")
}

func fuzzDomain(c fuzz.Continue) string {
	labels := make([]string, 2+c.Intn(3))
	for i := range labels {
		var sb strings.Builder
		for range 1 + c.Intn(10) {
			sb.WriteByte(pick(c, "abcdefghijklmnopqrstuvwxyz0123456789"))
		}
		labels[i] = sb.String()
	}
	return strings.Join(labels, ".")
}

func TestAddressListRoundTripGofuzz(t *testing.T) {
	f := fuzz.NewWithSeed(15).NilChance(0).NumElements(1, 4).Funcs(
		func(a *Address, c fuzz.Continue) {
			*a = Address{Name: fuzzDisplayName(c), Addr: fuzzLocalPart(c) + "@" + fuzzDomain(c)}
		},
	)
	for i := range 2000 {
		var list []Address
		f.Fuzz(&list)
		s := FormatAddressList(list)
		back, err := ParseAddressList(s)
		if err != nil {
			t.Fatalf("#%d: ParseAddressList(%q): %v", i, s, err)
		}
		if d := cmp.Diff(list, back); d != "" {
			t.Fatalf("#%d: %q (-formatted +parsed):\n%s", i, s, d)
		}
		for _, a := range list {
			one, err := ParseAddress(a.String())
			if err != nil || one != a {
				t.Fatalf("#%d: ParseAddress(%q) = %+v, %v; want %+v", i, a.String(), one, err, a)
			}
		}
	}
}

func TestDateRoundTripGofuzz(t *testing.T) {
	f := fuzz.NewWithSeed(15).Funcs(
		func(tm *time.Time, c fuzz.Continue) {
			// RFC 5322 3.3: four-digit years, zone offsets of whole
			// minutes within +-99:59, one-second precision.
			sec := c.Int63n(253402300799 - 0)
			off := (c.Intn(2*(99*60+59)+1) - (99*60 + 59)) * 60
			*tm = time.Unix(sec, 0).In(time.FixedZone("", off))
		},
	)
	for i := range 2000 {
		var tm time.Time
		f.Fuzz(&tm)
		s := FormatDate(tm)
		back, err := ParseDate(s)
		if err != nil {
			t.Fatalf("#%d: ParseDate(%q): %v", i, s, err)
		}
		_, o1 := tm.Zone()
		_, o2 := back.Zone()
		if !back.Equal(tm) || o1 != o2 {
			t.Fatalf("#%d: %q: got %v, want %v", i, s, back, tm)
		}
	}
}
