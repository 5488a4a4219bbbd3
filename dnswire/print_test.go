package dnswire

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"testing"
)

func TestMsgStringGolden(t *testing.T) {
	var m Msg
	if err := m.Unpack(readFixture(t)); err != nil {
		t.Fatal(err)
	}
	m.SetEDNS(1232, true)
	m.EDNS.Options = []EDNSOption{CookieOption(Cookie{Client: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}), EDEOption(ExtendedError{InfoCode: 18, ExtraText: "no"})}
	got := m.String()
	want, err := os.ReadFile("testdata/print/example.com-mx.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Msg.String differs from golden:\n%s", got)
	}
}

func TestEDNSOptions(t *testing.T) {
	c := Cookie{Client: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, Server: bytes.Repeat([]byte{9}, 16)}
	got, err := CookieOption(c).Cookie()
	if err != nil || got.Client != c.Client || !bytes.Equal(got.Server, c.Server) {
		t.Errorf("cookie round trip: %v %v", got, err)
	}
	// RFC 7873 4: 8 octets, or 16 to 40.
	for _, n := range []int{0, 7, 9, 15, 41} {
		if _, err := (EDNSOption{Code: OptionCookie, Data: make([]byte, n)}).Cookie(); !errors.Is(err, ErrBadOPT) {
			t.Errorf("cookie of %d octets: %v", n, err)
		}
	}
	e, err := EDEOption(ExtendedError{InfoCode: 15, ExtraText: "blocked"}).EDE()
	if err != nil || e.InfoCode != 15 || e.ExtraText != "blocked" {
		t.Errorf("EDE: %v %v", e, err)
	}
	if _, err := (EDNSOption{Code: OptionEDE, Data: []byte{1}}).EDE(); !errors.Is(err, ErrBadOPT) {
		t.Errorf("short EDE: %v", err)
	}
	for _, p := range []string{"192.0.2.0/24", "2001:db8::/56", "0.0.0.0/0", "198.51.100.7/32"} {
		o, err := ClientSubnetOption(ClientSubnet{Prefix: netip.MustParsePrefix(p)})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := o.ClientSubnet()
		if err != nil || cs.Prefix.String() != p {
			t.Errorf("ECS %s: %v %v", p, cs, err)
		}
	}
	// RFC 7871 6: address bits beyond the prefix must be zero, and the
	// address field is exactly as long as the prefix needs.
	for _, d := range [][]byte{{0, 1, 24, 0, 192, 0, 2, 1}, {0, 1, 24, 0, 192, 0}, {0, 3, 0, 0}, {0, 1, 33, 0, 1, 2, 3, 4, 5}} {
		if _, err := (EDNSOption{Code: OptionClientSubnet, Data: d}).ClientSubnet(); !errors.Is(err, ErrBadOPT) {
			t.Errorf("ECS %x: %v", d, err)
		}
	}
	if n := len(PaddingOption(7).Data); n != 7 {
		t.Errorf("padding %d", n)
	}
	// Options keep their order and unknown codes round-trip.
	var m Msg
	m.SetEDNS(4096, false)
	m.EDNS.Version = 0
	m.EDNS.Z = 0x1234
	m.EDNS.Options = []EDNSOption{{Code: 65000, Data: []byte("x")}, PaddingOption(2), {Code: 3}}
	b, err := m.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	var back Msg
	if err := back.Unpack(b); err != nil {
		t.Fatal(err)
	}
	if back.EDNS.Z != 0x1234 || len(back.EDNS.Options) != 3 || back.EDNS.Options[0].Code != 65000 ||
		back.EDNS.Options[2].Code != 3 || len(back.EDNS.Options[2].Data) != 0 {
		t.Errorf("options %+v", back.EDNS)
	}
	if o, ok := back.EDNS.Option(OptionPadding); !ok || len(o.Data) != 2 {
		t.Error("Option lookup")
	}
}

func TestUpdate(t *testing.T) {
	zone := MustName("example.com.")
	m := NewUpdate(zone)
	m.ID = 42
	host := MustName("host.example.com.")
	m.PrereqNameNotInUse(host)
	m.PrereqRRsetExists(zone, TypeSOA)
	a, _ := ParseRR("host.example.com. 300 IN A 192.0.2.7")
	m.UpdateAdd(a)
	m.UpdateDeleteRRset(MustName("old.example.com."), TypeA)
	m.UpdateDeleteName(MustName("gone.example.com."))
	m.UpdateDelete(a)
	b, err := m.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	var back Msg
	if err := back.Unpack(b); err != nil {
		t.Fatal(err)
	}
	want := `;; ->>HEADER<<- opcode: UPDATE, status: NOERROR, id: 42
;; flags:; ZONE: 1, PREREQ: 2, UPDATE: 4, ADDITIONAL: 0

;; ZONE SECTION:
;example.com.			IN	SOA

;; PREREQUISITE SECTION:
host.example.com.	0	NONE	ANY
example.com.		0	ANY	SOA

;; UPDATE SECTION:
host.example.com.	300	IN	A	192.0.2.7
old.example.com.	0	ANY	A
gone.example.com.	0	ANY	ANY
host.example.com.	0	NONE	A	192.0.2.7
`
	if got := back.String(); got != want {
		t.Errorf("update message:\n%s", got)
	}
	if back.Ns[1].Data != nil || back.Ns[1].Length != 0 {
		t.Error("RFC 2136 2.5.2: delete RRset has RDLENGTH 0")
	}
}
