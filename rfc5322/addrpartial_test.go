package rfc5322

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAddressListPartial(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  []int // offsets of the errors, in order
	}{
		{"a@x.org, b@x.org", []string{"a@x.org", "b@x.org"}, nil},
		{"a@x.org, not an address, c@x.org", []string{"a@x.org", "c@x.org"}, []int{22}},
		{`"Doe, John" <j@x.org>, bad@, (a, comment) k@x.org`, []string{"j@x.org", "k@x.org"}, []int{27}},
		{"team: a@x.org, b@x.org;, c@[1,2], x@, <@r1,@r2:d@x.org>", []string{"a@x.org", "b@x.org", "c@[1,2]", "d@x.org"}, []int{34}},
		{"\"q\\\r\"@x.org, e@x.org", []string{"e@x.org"}, []int{0}},
		{", ,a@x.org,,", []string{"a@x.org"}, nil},
	} {
		got, err := ParseAddressListPartial(tc.in)
		var addrs []string
		for _, a := range got {
			addrs = append(addrs, a.Addr)
		}
		if d := cmp.Diff(tc.want, addrs); d != "" {
			t.Errorf("%q: (-want +got)\n%s", tc.in, d)
		}
		if (err != nil) != (tc.bad != nil) || (err != nil && !errors.Is(err, ErrInvalidAddress)) {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if err == nil {
			continue
		}
		var offs []int
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var pe *ParseError
			if errors.As(e, &pe) {
				offs = append(offs, pe.Offset)
			}
		}
		if len(offs) != len(tc.bad) {
			t.Errorf("%q: error offsets %v, want %v (%v)", tc.in, offs, tc.bad, err)
			continue
		}
		for i := range offs {
			if offs[i] < tc.bad[i] || (i+1 < len(tc.bad) && offs[i] >= tc.bad[i+1]) {
				t.Errorf("%q: error offsets %v, want in elements starting at %v", tc.in, offs, tc.bad)
			}
		}
		// The whole-list parser refuses every one of these.
		if _, err := ParseAddressList(tc.in); err == nil {
			t.Errorf("%q: ParseAddressList accepts it", tc.in)
		}
	}
}

func TestHeaderAddressListPartial(t *testing.T) {
	h, _, err := ParseHeader([]byte("To: a@x.org, \"bad\\\x00\"@x.org\r\nCc: c@x.org\r\nTo: d@x.org\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.AddressListPartial("To")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "To" || !errors.Is(err, ErrInvalidAddress) {
		t.Fatalf("err = %v", err)
	}
	if len(got) != 2 || got[0].Addr != "a@x.org" || got[1].Addr != "d@x.org" {
		t.Errorf("got %v", got)
	}
	if !strings.Contains(err.Error(), "To") {
		t.Error(err)
	}
}

// FuzzParseAddressListPartial: never panics; what the whole-list parser
// accepts in full, the partial one returns the same.
func FuzzParseAddressListPartial(f *testing.F) {
	for _, s := range []string{"a@x.org, b@x.org", "g: a@x.org, b@y;, c@[1,2]", `"a,b" <c@d>, (x,y) e@f`, "bad, <@r,@s:t@u>", `"\`, "(", "[", "<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseAddressListPartial(s)
		whole, werr := ParseAddressList(s)
		if werr == nil && err == nil {
			if d := cmp.Diff(whole, got); d != "" {
				t.Errorf("%q: (-whole +partial)\n%s", s, d)
			}
		}
	})
}
