package bench

import (
	"bufio"
	"bytes"
	"net/mail"
	"os"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/relaykit/relaykit/bench/fixtures"
	"github.com/relaykit/relaykit/rfc5322"
)

// The message benchmarks run every implementation on fixtures.Message3K,
// named impl=<name> so benchstat -col /impl puts them side by side.

// netmailHeaderAndAddresses is the net/mail baseline for the "header block
// and the three address lists" target.
func netmailHeaderAndAddresses(tb testing.TB) int {
	m, err := mail.ReadMessage(bytes.NewReader(fixtures.Message3K))
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, f := range fixtures.Message3KAddressFields {
		l, err := m.Header.AddressList(f)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		n += len(l)
	}
	return n
}

// addressValues returns the unfolded values of the address fields, as
// net/mail gives them, for the address-list-only benchmark.
func addressValues(tb testing.TB) []string {
	m, err := mail.ReadMessage(bytes.NewReader(fixtures.Message3K))
	if err != nil {
		tb.Fatal(err)
	}
	var vs []string
	for _, f := range fixtures.Message3KAddressFields {
		vs = append(vs, m.Header.Get(f))
	}
	return vs
}

func TestMailPeersAgreeOnFixture(t *testing.T) {
	if n := netmailHeaderAndAddresses(t); n != 8 {
		t.Errorf("net/mail finds %d addresses in From/To/Cc, want 8", n)
	}
	m, err := mail.ReadMessage(bytes.NewReader(fixtures.Message3K))
	if err != nil {
		t.Fatal(err)
	}
	nm := 0
	for _, v := range m.Header {
		nm += len(v)
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(fixtures.Message3K)))
	if err != nil {
		t.Fatal(err)
	}
	if nm != 20 || h.Len() != 20 {
		t.Errorf("net/mail sees %d fields and go-message %d, want 20", nm, h.Len())
	}
	if n := len(fixtures.Message3K); n < 2900 || n > 3300 {
		t.Errorf("fixture is %d bytes, want about 3 KiB", n)
	}
}

// relaykitHeaderAndAddresses is relaykit's rfc5322 on the same operation:
// parse the header block from the byte slice, then the From, To and Cc
// address lists (unfolded, encoded-word names decoded).
func relaykitHeaderAndAddresses(tb testing.TB) int {
	h, _, err := rfc5322.ParseHeader(fixtures.Message3K)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, f := range fixtures.Message3KAddressFields {
		l, err := h.AddressList(f)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		n += len(l)
	}
	return n
}

func TestRelaykitMailAgreesOnFixture(t *testing.T) {
	if n := relaykitHeaderAndAddresses(t); n != 8 {
		t.Errorf("relaykit finds %d addresses in From/To/Cc, want 8", n)
	}
	h, _, err := rfc5322.ParseHeader(fixtures.Message3K)
	if err != nil || h.Len() != 20 {
		t.Errorf("relaykit sees %d fields (%v), want 20", h.Len(), err)
	}
	// rfc5322's allocation-budget tests run on a copy of the fixture.
	if c, err := os.ReadFile("../rfc5322/testdata/message-3k.eml"); err != nil || !bytes.Equal(c, fixtures.Message3K) {
		t.Errorf("rfc5322/testdata/message-3k.eml differs from fixtures.Message3K (%v)", err)
	}
}

// BenchmarkMailHeaderAndAddresses: parse the header block, then the From,
// To and Cc address lists.
func BenchmarkMailHeaderAndAddresses(b *testing.B) {
	b.Run("impl=netmail", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			netmailHeaderAndAddresses(b)
		}
	})
	b.Run("impl=relaykit", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			relaykitHeaderAndAddresses(b)
		}
	})
}

// BenchmarkMailHeader: parse the header block alone.
func BenchmarkMailHeader(b *testing.B) {
	b.Run("impl=gomessage", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			if _, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(fixtures.Message3K))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=netmail", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			if _, err := mail.ReadMessage(bytes.NewReader(fixtures.Message3K)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=relaykit", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			if _, _, err := rfc5322.ParseHeader(fixtures.Message3K); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMailAddressList: parse the unfolded From, To and Cc values.
func BenchmarkMailAddressList(b *testing.B) {
	vs := addressValues(b)
	b.Run("impl=netmail", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			for _, v := range vs {
				if _, err := mail.ParseAddressList(v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("impl=relaykit", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			for _, v := range vs {
				if _, err := rfc5322.ParseAddressList(v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkMailReadHeader: read the header block from an io.Reader (a
// fresh bufio.Reader over a bytes.Reader of the message, made inside the
// loop for every implementation), where relaykit copies the header into
// its own buffer: the like-for-like comparison with go-message's
// ReadHeader, beside MailHeader's zero-copy parse of a byte slice.
func BenchmarkMailReadHeader(b *testing.B) {
	b.Run("impl=gomessage", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			if _, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(fixtures.Message3K))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=relaykit", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			if _, err := rfc5322.ReadHeader(bufio.NewReader(bytes.NewReader(fixtures.Message3K))); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A different form: a server's per-connection bufio.Reader and
	// Header, reused from one message to the next (ReadHeaderInto).
	b.Run("impl=relaykit-reused", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		src := bytes.NewReader(fixtures.Message3K)
		br := bufio.NewReader(src)
		var p rfc5322.Parser
		var h rfc5322.Header
		for b.Loop() {
			src.Reset(fixtures.Message3K)
			br.Reset(src)
			if err := p.ReadHeaderInto(&h, br); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMailReadHeaderAndAddresses: the same-reader form of
// MailHeaderAndAddresses, the way an SMTP server or a mailbox reads a
// message: each implementation gets a fresh io.Reader (a bytes.Reader of
// the message) and reads the header block from it with its ReadMessage
// (both wrap it in a bufio.Reader), then parses From, To and Cc.
func BenchmarkMailReadHeaderAndAddresses(b *testing.B) {
	b.Run("impl=netmail", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			netmailHeaderAndAddresses(b)
		}
	})
	b.Run("impl=relaykit", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(fixtures.Message3K)))
		for b.Loop() {
			m, err := rfc5322.ReadMessage(bytes.NewReader(fixtures.Message3K))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, f := range fixtures.Message3KAddressFields {
				l, err := m.Header.AddressList(f)
				if err != nil {
					b.Fatal(err)
				}
				n += len(l)
			}
			if n != 8 {
				b.Fatalf("%d addresses", n)
			}
		}
	})
}
