package rfc5322

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	const ok = "From: a@b\r\nDate: 1 Jan 2026 00:00 +0000\r\n"
	tests := []struct {
		name string
		in   string
		want []error // each must be found with errors.Is, and no others
	}{
		{"minimal", ok, nil},
		{"missing from", "Date: 1 Jan 2026 00:00 +0000\r\n", []error{ErrMissingFrom}},
		{"missing date", "From: a@b\r\n", []error{ErrMissingDate}},
		{"missing both", "Subject: x\r\n", []error{ErrMissingFrom, ErrMissingDate}},
		{"repeated subject", ok + "Subject: a\r\nsubject: b\r\n", []error{ErrRepeatedField}},
		{"repeated date", ok + "Date: 2 Jan 2026 00:00 +0000\r\n", []error{ErrRepeatedField}},
		{"repeated received fine", ok + "Received: x; 1 Jan 2026 00:00 +0000\r\nReceived: y; 1 Jan 2026 00:00 +0000\r\nX-A: 1\r\nX-A: 2\r\n", nil},
		{"two from no sender", "From: a@b, c@d\r\nDate: 1 Jan 2026 00:00 +0000\r\n", []error{ErrSenderRequired}},
		{"two from with sender", "From: a@b, c@d\r\nSender: a@b\r\nDate: 1 Jan 2026 00:00 +0000\r\n", nil},
		{"bad date", "From: a@b\r\nDate: yesterday\r\n", []error{ErrMalformedField}},
		{"bad from", "From: nobody\r\nDate: 1 Jan 2026 00:00 +0000\r\n", []error{ErrMalformedField}},
		{"group in from", "From: G: a@b;\r\nDate: 1 Jan 2026 00:00 +0000\r\n", []error{ErrMalformedField}},
		{"sender two mailboxes", ok + "Sender: a@b, c@d\r\n", []error{ErrMalformedField}},
		{"bad to", ok + "To: <a@b\r\n", []error{ErrMalformedField}},
		{"empty bcc fine", ok + "Bcc:\r\nCc: (nobody)  G:;\r\n", nil},
		{"bad message-id", ok + "Message-ID: 1234\r\n", []error{ErrMalformedField}},
		{"bad references", ok + "References: <a@b> <c\r\n", []error{ErrMalformedField}},
		{"long line", ok + "X-Long: " + strings.Repeat("x", 991) + "\r\n", []error{ErrLineTooLong}},
		{"998 is fine", ok + "X-Long: " + strings.Repeat("x", 990) + "\r\n", nil},
		{"bare LF", "From: a@b\nDate: 1 Jan 2026 00:00 +0000\n", []error{ErrBareLineEnd, ErrBareLineEnd}},
		{"bare CR", ok + "X-A: a\rb\r\n", []error{ErrBareLineEnd}},
		{"unknown charset is fine", ok + "To: =?x-y?q?z?= <a@b>\r\n", nil},
		{"many at once", "From: a@b, c@d\r\nSubject: a\r\nSubject: b\r\nTo: x\r\n", []error{ErrRepeatedField, ErrMalformedField, ErrMissingDate, ErrSenderRequired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, err := ParseHeader([]byte(tt.in + "\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(h)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v", err)
			}
			if len(ve.Problems) != len(tt.want) {
				t.Errorf("problems %v, want %v", ve.Problems, tt.want)
			}
			for i, w := range tt.want {
				if i < len(ve.Problems) && !errors.Is(ve.Problems[i], w) {
					t.Errorf("problem %d = %v, want %v", i, ve.Problems[i], w)
				}
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(err, %v) false", w)
				}
			}
			if !strings.HasPrefix(err.Error(), "rfc5322: ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestValidateFieldErrorNamesField(t *testing.T) {
	h, _, _ := ParseHeader([]byte("From: a@b\r\nDate: x\r\n\r\n"))
	var fe *FieldError
	if err := Validate(h); !errors.As(err, &fe) || fe.Field != "Date" || fe.Index != 1 {
		t.Errorf("err = %v", err)
	}
	var pe *ParseError
	if !errors.As(fe, &pe) || !errors.Is(fe, ErrInvalidDate) {
		t.Errorf("parse error not wrapped: %v", fe)
	}
}
