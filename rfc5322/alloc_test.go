package rfc5322

import (
	"bufio"
	"bytes"
	"testing"
)

// Allocation budgets of the hot paths, measured on the bench fixture
// (testdata/message-3k.eml is bench/fixtures Message3K). The bench/
// module compares the same operations with net/mail and go-message.

// headerAndAddresses parses the header block and the From, To and Cc
// address lists: the BenchmarkMailHeaderAndAddresses operation.
func headerAndAddresses(tb testing.TB, msg []byte) int {
	h, _, err := ParseHeader(msg)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, f := range [...]string{"From", "To", "Cc"} {
		l, err := h.AddressList(f)
		if err != nil {
			tb.Fatal(err)
		}
		n += len(l)
	}
	return n
}

func TestAllocsHeaderAndAddresses(t *testing.T) {
	msg := readFixture(t)
	if n := headerAndAddresses(t, msg); n != 8 {
		t.Fatalf("%d addresses, want 8", n)
	}
	allocs := testing.AllocsPerRun(100, func() { headerAndAddresses(t, msg) })
	if allocs > 20 {
		t.Errorf("header and addresses: %v allocs, budget 20", allocs)
	}
	t.Logf("header and addresses: %v allocs", allocs)
}

func TestAllocsHeader(t *testing.T) {
	msg := readFixture(t)
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := ParseHeader(msg); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("header block: %v allocs, budget 2", allocs)
	}
	t.Logf("header block: %v allocs", allocs)
}

func TestAllocsAddressList(t *testing.T) {
	msg := readFixture(t)
	h, _, _ := ParseHeader(msg)
	vs := []string{h.Get("From"), h.Get("To"), h.Get("Cc")}
	allocs := testing.AllocsPerRun(100, func() {
		for _, v := range vs {
			if _, err := ParseAddressList(v); err != nil {
				t.Fatal(err)
			}
		}
	})
	// One result slice per list and one string per encoded-word name.
	if allocs > 5 {
		t.Errorf("address lists: %v allocs, budget 5", allocs)
	}
	t.Logf("address lists: %v allocs", allocs)
}

func BenchmarkHeaderAndAddresses(b *testing.B) {
	msg := readFixture(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		headerAndAddresses(b, msg)
	}
}

func BenchmarkParseHeader(b *testing.B) {
	msg := readFixture(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		ParseHeader(msg)
	}
}

func BenchmarkParseAddressList(b *testing.B) {
	msg := readFixture(b)
	h, _, _ := ParseHeader(msg)
	vs := []string{h.Get("From"), h.Get("To"), h.Get("Cc")}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range vs {
			ParseAddressList(v)
		}
	}
}

// ReadHeader from a bufio.Reader: the Header, the one copy of the header
// block and the field list (the reader is the caller's and is reused).
func TestAllocsReadHeader(t *testing.T) {
	msg := readFixture(t)
	src := bytes.NewReader(msg)
	br := bufio.NewReader(src)
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(msg)
		br.Reset(src)
		if _, err := ReadHeader(br); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Errorf("ReadHeader: %v allocs, budget 3", allocs)
	}
	t.Logf("ReadHeader: %v allocs", allocs)
}

func BenchmarkReadHeader(b *testing.B) {
	msg := readFixture(b)
	src := bytes.NewReader(msg)
	br := bufio.NewReader(src)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		src.Reset(msg)
		br.Reset(src)
		if _, err := ReadHeader(br); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadHeaderInto(b *testing.B) {
	msg := readFixture(b)
	src := bytes.NewReader(msg)
	br := bufio.NewReader(src)
	var p Parser
	var h Header
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		src.Reset(msg)
		br.Reset(src)
		if err := p.ReadHeaderInto(&h, br); err != nil {
			b.Fatal(err)
		}
	}
}

// ReadMessage from a plain io.Reader: its read buffer (the header is
// parsed in place), one block for Message, Header and body reader, and
// the field list.
func TestAllocsReadMessage(t *testing.T) {
	msg := readFixture(t)
	src := bytes.NewReader(msg)
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(msg)
		if _, err := ReadMessage(src); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Errorf("ReadMessage: %v allocs, budget 3", allocs)
	}
	t.Logf("ReadMessage: %v allocs", allocs)
}
