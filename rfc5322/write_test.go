package rfc5322

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestFolding(t *testing.T) {
	words := strings.Repeat("word ", 60) + "end"
	tests := []struct {
		name, value string
		err         error
	}{
		{"short", "hello world", nil},
		{"long with spaces", words, nil},
		{"long token then spaces", strings.Repeat("x", 200) + " a b c", nil},
		{"tabs", strings.Repeat("ab\t", 50), nil},
		{"unfoldable 998", strings.Repeat("y", 998-len("X-Long: ")), nil},
		{"unfoldable 999", strings.Repeat("y", 999-len("X-Long: ")), ErrLineTooLong},
		{"trailing spaces", "a" + strings.Repeat(" ", 100), nil},
		{"leading spaces", strings.Repeat(" ", 100) + "a b", nil},
		{"CR injection", "a\r\nBcc: evil@example.org", ErrInvalidFieldValue},
		{"LF injection", "a\nX: y", ErrInvalidFieldValue},
		{"NUL", "a\x00", ErrInvalidFieldValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			h.Add("X-Long", tt.value)
			out, err := h.AppendHeader(nil)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != "X-Long" || fe.Index != 0 {
					t.Errorf("not a FieldError: %v", err)
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
			for i, l := range lines {
				if len(l) > MaxLineLength {
					t.Errorf("line %d has %d octets", i, len(l))
				}
				from := 0
				if i == 0 {
					from = len("X-Long: ")
				}
				if len(l) > FoldWidth && strings.ContainsAny(strings.TrimLeft(l[from:FoldWidth], " \t"), " \t") && i < len(lines)-1 {
					t.Errorf("line %d is %d octets but could fold earlier", i, len(l))
				}
				if strings.Trim(l, " \t") == "" {
					t.Errorf("line %d is whitespace only", i)
				}
				if i > 0 && !isWSP(l[0]) {
					t.Errorf("continuation line %d does not start with WSP", i)
				}
			}
			// Unfolding gives the value back exactly.
			p, _, err := ParseHeader(append(out, '\r', '\n'))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(appendUnfolded(nil, p.Field(0).RawValue())); got != strings.Trim(tt.value, " \t") {
				t.Errorf("round trip\n got %q\nwant %q", got, tt.value)
			}
		})
	}
}

func TestWriteInvalidName(t *testing.T) {
	for _, name := range []string{"", "Bad Name", "A:B", "Ü"} {
		var h Header
		h.Add(name, "v")
		if _, err := h.AppendHeader(nil); !errors.Is(err, ErrInvalidFieldName) {
			t.Errorf("%q: err = %v", name, err)
		}
	}
}

func TestWriteBareLFFieldAsCRLF(t *testing.T) {
	h, _, err := ParseHeader([]byte("A: 1\n 2\nB: 3\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := h.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != "A: 1\r\n 2\r\nB: 3\r\n\r\n" {
		t.Errorf("got %q", b.String())
	}
}
