package bench

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/relaykit/relaykit/mime"
	"github.com/relaykit/relaykit/rfc5322"
)

// The MIME benchmarks (issue 16) run relaykit's mime and go-message on the
// same message: multipart/mixed of a multipart/alternative (text and
// HTML, quoted-printable) and two attachments (a 48 KiB binary in base64,
// a 24 KiB CSV with a non-ASCII file name), about 100 KiB in all. Names
// are impl=<name> so benchstat -col /impl puts them side by side.

type mimeFixture struct {
	text, html string
	pdf, csv   []byte
}

func newMimeFixture() mimeFixture {
	rng := rand.New(rand.NewPCG(16, 16))
	pdf := make([]byte, 48<<10)
	for i := range pdf {
		pdf[i] = byte(rng.Uint32())
	}
	var csv strings.Builder
	for i := 0; csv.Len() < 24<<10; i++ {
		fmt.Fprintf(&csv, "%d,crêpe %d,%d.%02d\n", i, i, rng.IntN(100), rng.IntN(100))
	}
	text := strings.Repeat("Hi Bob, here are the figures for the crêpes stand — see attached.\n", 30)
	html := "<html><body>" + strings.Repeat("<p>Hi Bob, here are the figures for the <b>crêpes</b> stand — see attached.</p>\n", 30) + "</body></html>\n"
	return mimeFixture{text: text, html: html, pdf: pdf, csv: []byte(csv.String())}
}

func (f mimeFixture) relaykitBuild(tb testing.TB) []byte { return f.relaykitAppend(tb, nil) }

func (f mimeFixture) relaykitAppend(tb testing.TB, dst []byte) []byte {
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{{Name: "Alice", Addr: "alice@crepes.example"}},
		To:      []rfc5322.Address{{Name: "Bob", Addr: "bob@gaufres.example"}},
		Subject: "Figures",
		Date:    time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC),
		Rand:    bytes.NewReader(make([]byte, 64)),
	}
	n := mime.Mixed(
		mime.Alternative(mime.Text(f.text), mime.HTML(f.html)),
		mime.Attachment("report.pdf", "application/pdf", f.pdf),
		mime.Attachment("chiffres été.csv", "text/csv", f.csv),
	)
	msg, _, err := n.AppendMessage(dst, b)
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

func (f mimeFixture) gomessageBuild(tb testing.TB) []byte {
	var buf bytes.Buffer
	var h gomail.Header
	h.SetDate(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	h.SetAddressList("From", []*gomail.Address{{Name: "Alice", Address: "alice@crepes.example"}})
	h.SetAddressList("To", []*gomail.Address{{Name: "Bob", Address: "bob@gaufres.example"}})
	h.SetSubject("Figures")
	h.Set("Message-Id", "<x@crepes.example>")
	mw, err := gomail.CreateWriter(&buf, h)
	if err != nil {
		tb.Fatal(err)
	}
	tw, err := mw.CreateInline()
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range []struct{ t, body string }{{"text/plain", f.text}, {"text/html", f.html}} {
		var ih gomail.InlineHeader
		ih.SetContentType(p.t, map[string]string{"charset": "utf-8"})
		ih.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := tw.CreatePart(ih)
		if err != nil {
			tb.Fatal(err)
		}
		io.WriteString(w, p.body)
		w.Close()
	}
	tw.Close()
	for _, a := range []struct {
		name, t string
		data    []byte
	}{{"report.pdf", "application/pdf", f.pdf}, {"chiffres été.csv", "text/csv", f.csv}} {
		var ah gomail.AttachmentHeader
		ah.SetContentType(a.t, nil)
		ah.SetFilename(a.name)
		ah.Set("Content-Transfer-Encoding", "base64")
		w, err := mw.CreateAttachment(ah)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(a.data)
		w.Close()
	}
	mw.Close()
	return buf.Bytes()
}

// mimeWalkRelaykit walks msg in one pass and decodes every leaf; it returns
// the decoded octets of the leaves and the number of parts.
func mimeWalkRelaykit(tb testing.TB, msg []byte) (int64, int) {
	return mimeWalkWith(tb, mime.NewWalker(bytes.NewReader(msg), nil))
}

// mimeWalkReuser returns a walk like mimeWalkRelaykit's that reuses one
// Walker (Walker.Reset) from message to message, as a server reading
// many messages would.
func mimeWalkReuser() func(testing.TB, []byte) (int64, int) {
	var w *mime.Walker
	var r bytes.Reader
	return func(tb testing.TB, msg []byte) (int64, int) {
		r.Reset(msg)
		if w == nil {
			w = mime.NewWalker(&r, nil)
		} else {
			w.Reset(&r)
		}
		return mimeWalkWith(tb, w)
	}
}

func mimeWalkWith(tb testing.TB, w *mime.Walker) (int64, int) {
	var total int64
	parts := 0
	for {
		p, err := w.Next()
		if err == io.EOF {
			return total, parts
		}
		if err != nil {
			tb.Fatal(err)
		}
		parts++
		if p.IsMultipart() {
			continue
		}
		r, err := w.Decoded()
		if err != nil {
			tb.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			tb.Fatal(err)
		}
		total += n
	}
}

// mimeTreeRelaykit parses the tree in memory (offsets) and decodes every leaf.
func mimeTreeRelaykit(tb testing.TB, msg []byte) (int64, int) {
	t, err := mime.Parse(msg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var total int64
	parts := 0
	_ = t.Root.Walk(func(p *mime.Part) error {
		parts++
		if p.IsMultipart() {
			return nil
		}
		r, err := p.Decode(msg)
		if err != nil {
			tb.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, r)
		total += n
		return nil
	})
	return total, parts
}

func mimeWalkGomessage(tb testing.TB, msg []byte) (int64, int) {
	e, err := gomessage.Read(bytes.NewReader(msg))
	if err != nil {
		tb.Fatal(err)
	}
	var total int64
	parts := 0
	err = e.Walk(func(_ []int, p *gomessage.Entity, err error) error {
		if err != nil {
			return err
		}
		parts++
		if p.MultipartReader() != nil {
			return nil
		}
		n, err := io.Copy(io.Discard, p.Body)
		total += n
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return total, parts
}

// The three readers agree on the parts and the decoded sizes, on both
// writers' output, and both writers' output is about the same size.
func TestMimePeersAgree(t *testing.T) {
	f := newMimeFixture()
	ours, theirs := f.relaykitBuild(t), f.gomessageBuild(t)
	if len(ours) < 95<<10 || len(ours) > 110<<10 {
		t.Errorf("fixture is %d octets, want about 100 KiB", len(ours))
	}
	t.Logf("relaykit writes %d octets, go-message %d", len(ours), len(theirs))
	reuse := mimeWalkReuser()
	for _, msg := range [][]byte{ours, theirs} {
		n1, p1 := mimeWalkRelaykit(t, msg)
		for range 2 {
			if n, p := reuse(t, msg); n != n1 || p != p1 {
				t.Errorf("reused walker: %d octets in %d parts, new walker %d in %d", n, p, n1, p1)
			}
		}
		n2, p2 := mimeTreeRelaykit(t, msg)
		n3, p3 := mimeWalkGomessage(t, msg)
		if p1 != 6 || p2 != 6 || p3 != 6 {
			t.Errorf("parts: walker %d, tree %d, go-message %d; want 6", p1, p2, p3)
		}
		// Decoded text may differ in line ends (CRLF kept or not).
		want := int64(len(f.pdf) + len(f.csv) + len(f.text) + len(f.html))
		for _, n := range []int64{n1, n2, n3} {
			if n < want || n > want+int64(strings.Count(f.text+f.html+string(f.csv), "\n")) {
				t.Errorf("decoded %d octets (walker %d, tree %d, go-message %d), want %d plus CRs", n, n1, n2, n3, want)
			}
		}
	}
}

func BenchmarkMimeWalkDecode(b *testing.B) {
	f := newMimeFixture()
	msg := f.relaykitBuild(b)
	for _, impl := range []struct {
		name string
		fn   func(testing.TB, []byte) (int64, int)
	}{
		{"relaykit-walker", mimeWalkRelaykit},
		{"relaykit-tree", mimeTreeRelaykit},
		{"go-message", mimeWalkGomessage},
		// A different form: one Walker reused (Walker.Reset).
		{"relaykit-walker-reused", mimeWalkReuser()},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				impl.fn(b, msg)
			}
		})
	}
}

func BenchmarkMimeBuild(b *testing.B) {
	f := newMimeFixture()
	// A different form: the output buffer reused from message to
	// message (AppendMessage into buf[:0]), as a sender composing many
	// messages would; the rows above allocate it each time.
	defer b.Run("impl=relaykit-reused", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		var buf []byte
		for b.Loop() {
			buf = f.relaykitAppend(b, buf[:0])
		}
	})
	for _, impl := range []struct {
		name string
		fn   func(testing.TB) []byte
	}{{"relaykit", f.relaykitBuild}, {"go-message", f.gomessageBuild}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				impl.fn(b)
			}
		})
	}
}
