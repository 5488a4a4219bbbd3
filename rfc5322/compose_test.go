package rfc5322

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fixedBuilder() *Builder {
	return &Builder{
		From:    []Address{{Name: "Alice Martín", Addr: "alice@crepes.fr"}},
		To:      []Address{{Name: "Bob", Addr: "bob@hamburger.edu"}, {Addr: "carol@hamburger.edu"}},
		Cc:      []Address{{Name: "Dave \"the cook\"", Addr: "dave@hamburger.edu"}},
		Bcc:     []Address{{Addr: "secret@hamburger.edu"}},
		Subject: "Crêpes on Saturday",
		Body:    []byte("Bonjour à tous\r\n"),
		Now:     func() time.Time { return time.Date(2026, 11, 26, 9, 14, 4, 0, time.UTC) },
		Rand:    bytes.NewReader(make([]byte, 64)),
	}
}

func TestBuilderRoundTrip(t *testing.T) {
	for _, utf8 := range []bool{false, true} {
		b := fixedBuilder()
		b.UTF8 = utf8
		b.Header.Add("MIME-Version", "1.0")
		b.Header.Add("Content-Type", `text/plain; charset="utf-8"`)
		msg, info, err := b.Message()
		if err != nil {
			t.Fatal(err)
		}
		h, n, err := ParseHeader(msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(h); err != nil {
			t.Errorf("composed message does not validate: %v", err)
		}
		if !bytes.Equal(msg[n:], b.Body) {
			t.Error("body changed")
		}
		if h.Has("Bcc") || bytes.Contains(msg, []byte("secret@")) {
			t.Error("Bcc written")
		}
		for name, want := range map[string][]Address{"From": b.From, "To": b.To, "Cc": b.Cc} {
			got, err := h.AddressList(name)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("utf8=%v %s = %q, %v; want %q", utf8, name, got, err, want)
			}
		}
		f, _ := h.Lookup("Subject")
		if s, err := f.Text(); err != nil || s != b.Subject {
			t.Errorf("Subject = %q, %v", s, err)
		}
		if d, err := ParseDate(h.Get("Date")); err != nil || !d.Equal(b.Now()) {
			t.Errorf("Date = %v, %v", d, err)
		}
		id, err := ParseMsgID(h.Get("Message-ID"))
		if err != nil || "<"+id+">" != info.MessageID || !strings.HasSuffix(id, "@crepes.fr") {
			t.Errorf("Message-ID %q %v, info %q", id, err, info.MessageID)
		}
		if want := []string{"bob@hamburger.edu", "carol@hamburger.edu", "dave@hamburger.edu", "secret@hamburger.edu"}; !reflect.DeepEqual(info.Recipients, want) {
			t.Errorf("Recipients = %q", info.Recipients)
		}
		if !info.Body.EightBit || info.Body.BareLineEnd {
			t.Errorf("Body info %+v", info.Body)
		}
		if info.UTF8Header != utf8 {
			t.Errorf("utf8=%v: UTF8Header = %v\n%s", utf8, info.UTF8Header, msg)
		}
		if h.Get("MIME-Version") != "1.0" || h.Field(h.Len()-1).Name() != "Content-Type" {
			t.Error("extra fields not written last, in order")
		}
	}
}

func TestBuilderErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Builder)
		want error
	}{
		{"no from", func(b *Builder) { b.From = nil }, ErrMissingFrom},
		{"no recipient", func(b *Builder) { b.To, b.Cc, b.Bcc = nil, nil, nil }, ErrNoRecipient},
		{"two from no sender", func(b *Builder) { b.From = append(b.From, Address{Addr: "x@y"}) }, ErrSenderRequired},
		{"bad addr", func(b *Builder) { b.To[0].Addr = "Bob <bob@x>" }, ErrInvalidAddress},
		{"non canonical addr", func(b *Builder) { b.To[0].Addr = `"bob"@x` }, ErrInvalidAddress},
		{"bad sender", func(b *Builder) {
			b.From = append(b.From, Address{Addr: "x@y"})
			b.Sender = &Address{Addr: "nope"}
		}, ErrInvalidAddress},
		{"duplicate field", func(b *Builder) { b.Header.Add("subject", "x") }, ErrRepeatedField},
		{"injection in extra", func(b *Builder) { b.Header.Add("X-A", "a\r\nBcc: x@y") }, ErrInvalidFieldValue},
		{"injection in subject with UTF8", func(b *Builder) { b.UTF8 = true; b.Subject = "a\r\nBcc: x@y" }, ErrInvalidFieldValue},
		{"rand fails", func(b *Builder) { b.Rand = bytes.NewReader(nil) }, nil},
		{"bad message-id", func(b *Builder) { b.MessageID = "no-brackets@x" }, ErrInvalidMsgID},
		{"message-id injection", func(b *Builder) { b.MessageID = "<a@b>\r\nBcc: x@y" }, ErrInvalidMsgID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixedBuilder()
			tt.edit(b)
			out, _, err := b.AppendMessage([]byte("keep"))
			if tt.want == nil {
				if err == nil {
					t.Fatal("no error")
				}
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if string(out) != "keep" {
				t.Errorf("dst changed on error: %q", out)
			}
		})
	}
}

func TestBuilderSubjectInjectionEncoded(t *testing.T) {
	b := fixedBuilder()
	b.Subject = "a\r\nBcc: x@y"
	msg, _, err := b.Message()
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := ParseHeader(msg)
	if err != nil || h.Has("Bcc") {
		t.Fatalf("%v\n%s", err, msg)
	}
	f, _ := h.Lookup("Subject")
	if s, _ := f.Text(); s != b.Subject {
		t.Errorf("Subject = %q", s)
	}
}

func TestBuilderGivenMessageID(t *testing.T) {
	b := fixedBuilder()
	b.MessageID = "<given.1@crepes.fr>"
	msg, info, err := b.Message()
	if err != nil || info.MessageID != b.MessageID || !bytes.Contains(msg, []byte("\r\nMessage-ID: <given.1@crepes.fr>\r\n")) {
		t.Errorf("%v %q\n%s", err, info.MessageID, msg)
	}
}

func TestBuilderSenderAndDefaults(t *testing.T) {
	b := &Builder{
		From:   []Address{{Addr: "a@x.example"}, {Addr: "b@x.example"}},
		Sender: &Address{Name: "Secretary", Addr: "s@x.example"},
		To:     []Address{{Addr: "c@y.example"}},
		Date:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	msg, info, err := b.Message()
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := ParseHeader(msg)
	if err := Validate(h); err != nil {
		t.Error(err)
	}
	if h.Get("Date") != "Fri, 02 Jan 2026 03:04:05 +0000" || h.Get("Sender") != "Secretary <s@x.example>" {
		t.Errorf("got\n%s", msg)
	}
	if h.Has("Subject") || info.Body.EightBit {
		t.Error("empty subject written or 8bit reported")
	}
}

func TestCheckBody(t *testing.T) {
	tests := []struct {
		in   string
		want BodyInfo
	}{
		{"", BodyInfo{}},
		{"a\r\nb\r\n", BodyInfo{}},
		{"é\r\n", BodyInfo{EightBit: true}},
		{"a\nb", BodyInfo{BareLineEnd: true}},
		{"a\rb", BodyInfo{BareLineEnd: true}},
		{"a\x00", BodyInfo{NUL: true}},
		{strings.Repeat("a", 999), BodyInfo{LongLine: true}},
		{strings.Repeat("a", 998) + "\r\n" + strings.Repeat("a", 998), BodyInfo{}},
	}
	for _, tt := range tests {
		if got := CheckBody([]byte(tt.in)); got != tt.want {
			t.Errorf("%.20q: %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := NewMessageID("example.org"), NewMessageID("example.org")
	if a == b {
		t.Error("two ids equal")
	}
	id, err := ParseMsgID(a)
	if err != nil || !strings.HasSuffix(id, "@example.org") {
		t.Errorf("%q: %v", a, err)
	}
}

func TestParseMsgIDList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<a@b>", []string{"a@b"}},
		{" <a.b@c.d> <e@f>\r\n <g@[1.2.3.4]>", []string{"a.b@c.d", "e@f", "g@[1.2.3.4]"}},
		{"<a@b>,<c@d>", []string{"a@b", "c@d"}},
		{"(comment) <a@b> (x)", []string{"a@b"}},
		{`<"quoted id"@b>`, []string{`"quoted id"@b`}},
		{"< a . b @ c . d >", []string{"a.b@c.d"}},
		{`Your message of "Mon, 1 Jan" <a@b> and <c@d>`, []string{"a@b", "c@d"}},
	}
	for _, tt := range tests {
		got, err := ParseMsgIDList(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q = %q, %v", tt.in, got, err)
		}
	}
	for _, in := range []string{"", "a@b", "<a@b", "<ab>", "<a@b> @", "<@b>", "(unterminated <a@b>", "only a phrase", "<a@b> \"unterminated"} {
		if _, err := ParseMsgIDList(in); !errors.Is(err, ErrInvalidMsgID) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
	for _, in := range []string{"<a@b> <c@d>", "phrase <a@b>"} {
		if _, err := ParseMsgID(in); !errors.Is(err, ErrInvalidMsgID) {
			t.Errorf("ParseMsgID accepted %q", in)
		}
	}
}
