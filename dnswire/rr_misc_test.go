package dnswire

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDNAME: RFC 6672 2.5, a DNAME target is never compressed on write
// but a compressed one is read.
func TestDNAME(t *testing.T) {
	rr, err := ParseRR("old.example.com. 300 IN DNAME new.example.com.")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rr.String(), "old.example.com.\t300\tIN\tDNAME\tnew.example.com."; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
	m := &Msg{Answer: []RR{rr}}
	m.Question = []Question{{Name: MustName("x.old.example.com."), Type: TypeA, Class: ClassINET}}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	// The target is written out in full although "example.com." is
	// already in the message.
	if !bytes.Contains(b, []byte("\x03new\x07example\x03com\x00")) {
		t.Fatalf("DNAME target compressed: % x", b)
	}
	var got Msg
	if err := got.Unpack(b); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rr.String(), got.Answer[0].String()); d != "" {
		t.Fatal(d)
	}
	c := CloneRData(got.Answer[0].Data).(*DNAME)
	if !c.Target.Equal(MustName("new.example.com.")) {
		t.Fatalf("clone %v", c)
	}

	// A compressed target (pointer to example.com. in the question).
	data := []byte{3, 'n', 'e', 'w', 0xC0, 12 + 2 + 4}
	msg := cat(hdr(1, 1, 0, 0), []byte("\x01x\x03old"), wExample, qTail,
		[]byte{0xC0, 12}, rrTail(TypeDNAME, len(data), data))
	var p Parser
	if _, err := p.Start(msg); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AnswerHeader(); err != nil {
		t.Fatal(err)
	}
	d, err := p.DNAME()
	if err != nil {
		t.Fatal(err)
	}
	if d.Target.String() != "new.example.com." {
		t.Fatalf("target %v", d.Target)
	}
}
