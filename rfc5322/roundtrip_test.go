package rfc5322

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	fuzz "github.com/google/gofuzz"
)

// built is what a reader gets back of a Builder's input.
type built struct {
	From, ReplyTo, To, Cc []Address
	Sender                *Address
	Subject               string
	Body                  []byte
}

// Property (issue 16): whatever Builder writes, ReadMessage returns
// equal, or the Builder refuses with the parser's own limit error.
// gofuzz fills the Builder; the fill functions keep its input legal
// (addresses in canonical form, words from a mixed alphabet).
func TestBuilderReadMessageProperty(t *testing.T) {
	words := []string{"Alice", "Bob", "Martín", "Grüße", "日本語", "a.b", "\"q\"", "(c)", "x,y", "<z>", "=?utf-8?q?x?=", "?=", "=?", "é", "O'Neil", "@", ";", "\\", "Ünïcödé-long-word-" + strings.Repeat("ü", 30)}
	locals := []string{"alice", "bob.smith", "a+tag", "x_y", "\"with space\"", "\"q\\\"uote\"", "o'neil", "ü"}
	domains := []string{"example.org", "crepes.fr", "[192.0.2.1]", "xn--bcher-kva.example"}
	phrase := func(c fuzz.Continue, max int) string {
		n := c.Intn(max + 1)
		w := make([]string, n)
		for i := range w {
			w[i] = words[c.Intn(len(words))]
		}
		return strings.Join(w, " ")
	}
	f := fuzz.NewWithSeed(16).NilChance(0.3).NumElements(0, 4).Funcs(
		func(a *Address, c fuzz.Continue) {
			a.Name = phrase(c, 4)
			a.Addr = locals[c.Intn(len(locals))] + "@" + domains[c.Intn(len(domains))]
		},
		func(b *Builder, c fuzz.Continue) {
			*b = Builder{}
			c.Fuzz(&b.From)
			if len(b.From) == 0 {
				b.From = []Address{{}}
				c.Fuzz(&b.From[0])
			}
			if len(b.From) > 1 || c.Intn(4) == 0 {
				b.Sender = new(Address)
				c.Fuzz(b.Sender)
			}
			c.Fuzz(&b.ReplyTo)
			c.Fuzz(&b.To)
			c.Fuzz(&b.Cc)
			c.Fuzz(&b.Bcc)
			if c.Intn(20) == 0 { // a huge To: folded, or refused by the limits
				b.To = make([]Address, 500+c.Intn(2500))
				for i := range b.To {
					c.Fuzz(&b.To[i])
				}
			}
			if len(b.To)+len(b.Cc)+len(b.Bcc) == 0 {
				b.To = []Address{{}}
				c.Fuzz(&b.To[0])
			}
			b.Subject = phrase(c, 30)
			b.UTF8 = c.RandBool()
			body := phrase(c, 50)
			b.Body = []byte(strings.ReplaceAll(body, " ", "\r\n"))
			b.Now = func() time.Time { return time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) }
			b.Rand = bytes.NewReader(make([]byte, 64))
		},
	)
	refused := 0
	for i := range 400 {
		var b Builder
		f.Fuzz(&b)
		msg, _, err := b.Message()
		if err != nil {
			if errors.Is(err, ErrFieldTooLong) || errors.Is(err, ErrHeaderTooLarge) {
				refused++
				continue
			}
			t.Fatalf("case %d: %v", i, err)
		}
		m, err := ReadMessage(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("case %d: Builder wrote what ReadMessage refuses: %v", i, err)
		}
		body, _ := io.ReadAll(m.Body)
		got := built{Body: body}
		for _, l := range []struct {
			name string
			dst  *[]Address
		}{{"From", &got.From}, {"Reply-To", &got.ReplyTo}, {"To", &got.To}, {"Cc", &got.Cc}} {
			if !m.Header.Has(l.name) {
				continue
			}
			if *l.dst, err = m.Header.AddressList(l.name); err != nil {
				t.Fatalf("case %d: %s: %v", i, l.name, err)
			}
		}
		if m.Header.Has("Sender") {
			s, err := ParseAddress(m.Header.Get("Sender"))
			if err != nil {
				t.Fatalf("case %d: Sender: %v", i, err)
			}
			got.Sender = &s
		}
		if fl, ok := m.Header.Lookup("Subject"); ok {
			if got.Subject, err = fl.Text(); err != nil {
				t.Fatalf("case %d: Subject: %v", i, err)
			}
		}
		want := built{From: b.From, ReplyTo: b.ReplyTo, To: b.To, Cc: b.Cc, Sender: b.Sender, Subject: b.Subject, Body: b.Body}
		if len(want.ReplyTo) == 0 {
			want.ReplyTo = nil
		}
		if len(want.Cc) == 0 {
			want.Cc = nil
		}
		if len(want.To) == 0 {
			want.To = nil
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("case %d (-built +read):\n%s\n%s", i, d, msg)
		}
	}
	t.Logf("%d of 400 refused by the limits", refused)
}

// A To too large for the default parser is refused with the parser's
// error rather than written unreadable.
func TestBuilderAgreesWithParserLimits(t *testing.T) {
	b := fixedBuilder()
	b.To = make([]Address, 5000)
	for i := range b.To {
		b.To[i] = Address{Name: "Recipient Number", Addr: "someone@example.org"}
	}
	_, _, err := b.Message()
	var fe *FieldError
	if !errors.Is(err, ErrFieldTooLong) || !errors.As(err, &fe) || fe.Field != "To" {
		t.Fatalf("err = %v", err)
	}
	b.To = b.To[:1000]
	msg, _, err := b.Message()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMessage(bytes.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}
