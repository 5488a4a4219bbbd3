package dnswire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnpackFresh: a fresh Msg decodes the fixture (3 MX answers, 2 NS,
// A and AAAA additional records) in a bounded number of allocations (the
// store, one array for the three sections, the question, one exactly
// sized array per record type), and the same as a reused Msg.
func TestUnpackFresh(t *testing.T) {
	msg := readFixture(t)
	if a := testing.AllocsPerRun(100, func() {
		m := new(Msg)
		if err := m.Unpack(msg); err != nil {
			t.Fatal(err)
		}
	}); a > 7 {
		t.Errorf("Msg.Unpack into a fresh Msg: %v allocs, want <= 7", a)
	}
	var reused Msg
	for range 2 {
		if err := reused.Unpack(msg); err != nil {
			t.Fatal(err)
		}
	}
	fresh := new(Msg)
	if err := fresh.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(reused.String(), fresh.String()); d != "" {
		t.Errorf("fresh and reused Msg differ (-reused +fresh):\n%s", d)
	}
}

// TestUnpackFreshSectionsApart: the sections of a fresh Msg share one
// array, but appending to one never writes into the next, and a record's
// data keeps its value until the Msg is reused.
func TestUnpackFreshSectionsApart(t *testing.T) {
	msg := readFixture(t)
	m := new(Msg)
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	ns0 := m.Ns[0]
	extra0 := m.Extra[0]
	m.Answer = append(m.Answer, RR{RRHeader: RRHeader{Name: MustName("x.example."), Type: TypeA, Class: ClassINET}, Data: &A{}})
	m.Ns = append(m.Ns, m.Ns[0])
	if m.Ns[0].Name != ns0.Name || m.Ns[0].Data != ns0.Data {
		t.Errorf("append to Answer changed Ns[0]: %v", m.Ns[0])
	}
	if m.Extra[0].Name != extra0.Name || m.Extra[0].Data != extra0.Data {
		t.Errorf("append to Ns changed Extra[0]: %v", m.Extra[0])
	}
	// A clone taken before reuse keeps its value; the record itself is
	// overwritten by the next Unpack of other data into the same Msg.
	mx := m.Answer[0].Clone()
	other := new(Msg)
	other.SetQuestion(MustName("example.org."), TypeMX)
	other.Response = true
	other.Answer = []RR{{RRHeader: RRHeader{Name: MustName("example.org."), Type: TypeMX, Class: ClassINET, TTL: 60},
		Data: &MX{Pref: 99, Host: MustName("other.example.org.")}}}
	wire, err := other.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	kept := m.Answer[0].Data.(*MX)
	if err := m.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	if got := mx.Data.(*MX); got.Pref != 10 {
		t.Errorf("clone changed: %v", got)
	}
	if kept.Pref != 99 {
		t.Errorf("a record kept across reuse: Pref %d; the documented aliasing says 99", kept.Pref)
	}
}
