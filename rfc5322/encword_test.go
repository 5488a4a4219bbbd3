package rfc5322

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		// RFC 2047 8 examples.
		{"=?ISO-8859-1?Q?a?=", "a"},
		{"=?ISO-8859-1?Q?a?= b", "a b"},
		{"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"},
		{"=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=", "ab"},
		{"=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=", "ab"},
		{"=?ISO-8859-1?Q?a_b?=", "a b"},
		{"=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b"},
		{"(=?ISO-8859-1?Q?a?=)", "(=?ISO-8859-1?Q?a?=)"},
		{"=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"},
		{"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld Jørn Simonsen"},
		{"=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard"},
		{"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=", "If you can read this you understand the example."},
		// Fixture subject, and a mix of plain and encoded words.
		{"=?UTF-8?Q?Recette_des_cr=C3=AApes_pour_samedi_=E2=80=94_on_?=\r\n =?UTF-8?Q?se_retrouve_=C3=A0_midi=3F?=", "Recette des crêpes pour samedi — on se retrouve à midi?"},
		{"Re: =?utf-8?b?w6k=?= x", "Re: é x"},
		{"=?utf-8?q?a?==?utf-8?q?b?=", "ab"},
		{"=?utf-8?b?w6k?=", "é"}, // missing padding
		// RFC 2231 language suffix.
		{"=?utf-8*fr?q?cr=C3=AApe?=", "crêpe"},
		// Charsets.
		{"=?windows-1252?q?=80_=93x=94?=", "€ “x”"},
		{"=?iso-8859-15?q?=A4?=", "€"},
		{"=?iso-8859-2?q?=B1?=", "ą"},
		{"=?iso-8859-5?q?=D0=E0=D8?=", "ари"},
		{"=?iso-8859-7?q?=E1?=", "α"},
		{"=?windows-1251?q?=CF=F0=E8?=", "При"},
		{"=?koi8-r?q?=F0=D2=C9?=", "При"},
		{"=?cp1250?q?=9A?=", "š"},
		{"=?us-ascii?q?a=E9?=", "a\uFFFD"},
		{"=?utf-8?q?=FF?=", "\uFFFD"},
		{"=?iso-8859-1?q?=FF?=", "ÿ"},
		// Malformed words are kept as they are.
		{"=?utf-8?q?a=G0?=", "=?utf-8?q?a=G0?="},
		{"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
		{"=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="},
		{"=??q?a?=", "=??q?a?="},
		{"=?utf-8?q?a", "=?utf-8?q?a"},
		{"a =?utf-8?q?x?=b", "a =?utf-8?q?x?=b"},
		{"=?utf-8?q?x?= plain =?utf-8?q?y?=", "x plain y"},
		{"=?utf-8?q?x?= =?bad", "x =?bad"},
	}
	for _, tt := range tests {
		got, err := DecodeText(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%q = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDecodeUnknownCharset(t *testing.T) {
	got, err := DecodeText("x =?x-unknown?q?abc?= =?utf-8?q?=C3=A9?=")
	var ce *CharsetError
	if !errors.As(err, &ce) || ce.Charset != "x-unknown" {
		t.Fatalf("err = %v", err)
	}
	if got != "x =?x-unknown?q?abc?= é" {
		t.Errorf("got %q", got)
	}
	if w, err := DecodeWord("=?x-unknown?q?abc?="); w != "=?x-unknown?q?abc?=" || !errors.Is(err, ErrUnknownCharset) {
		t.Errorf("DecodeWord = %q, %v", w, err)
	}
	if _, err := DecodeWord("nope"); !errors.Is(err, ErrInvalidEncodedWord) {
		t.Errorf("DecodeWord(nope) err = %v", err)
	}
	if w, err := DecodeWord("=?utf-8?B?w6k=?="); w != "é" || err != nil {
		t.Errorf("DecodeWord = %q, %v", w, err)
	}
}

func TestEncodeText(t *testing.T) {
	tests := []string{
		"", "plain ascii", "crêpes", "Recette des crêpes pour samedi — on se retrouve à midi?",
		"  lead and trail  ", "a =?utf-8?q?x?= b", "tab\tsep é", "ctrl\x01char",
		strings.Repeat("é", 200), strings.Repeat("日本語", 40) + " x " + strings.Repeat("y", 100),
		"mixed é words é here", "é", "a\r\nb",
	}
	for _, in := range tests {
		enc := EncodeText(in)
		for i := 0; i < len(enc); i++ {
			if enc[i] >= 0x80 || enc[i] < ' ' && enc[i] != '\t' {
				t.Errorf("%q: encoded has octet %#x: %q", in, enc[i], enc)
				break
			}
		}
		for _, w := range strings.Fields(enc) {
			if strings.HasPrefix(w, "=?") && len(w) > maxEncodedWord {
				t.Errorf("%q: word of %d octets", in, len(w))
			}
		}
		if !needsEncoding(in) && enc != in {
			t.Errorf("%q changed to %q", in, enc)
		}
		if dec, err := DecodeText(enc); err != nil || dec != in {
			t.Errorf("%q: encoded %q decodes to %q, %v", in, enc, dec, err)
		}
		// Through a folded header field too.
		var h Header
		h.Add("Subject", enc)
		out, err := h.AppendHeader(nil)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		p, _, err := ParseHeader(out)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := p.Field(0).Text(); err != nil || got != strings.Trim(in, " \t") {
			t.Errorf("%q: via header %q, %v", in, got, err)
		}
	}
	if w := EncodeWord("é"); !utf8.ValidString(w) || !strings.HasPrefix(w, "=?utf-8?") {
		t.Errorf("EncodeWord = %q", w)
	}
}

// The charset tables are what CPython's codecs say (gen_charsets.go).
func TestCharsetTablesMatchPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	names := map[string]string{
		"iso-8859-2": "iso8859_2", "iso-8859-3": "iso8859_3", "iso-8859-4": "iso8859_4",
		"iso-8859-5": "iso8859_5", "iso-8859-6": "iso8859_6", "iso-8859-7": "iso8859_7",
		"iso-8859-8": "iso8859_8", "iso-8859-9": "iso8859_9", "iso-8859-10": "iso8859_10",
		"iso-8859-11": "iso8859_11", "iso-8859-13": "iso8859_13", "iso-8859-14": "iso8859_14",
		"iso-8859-15": "iso8859_15", "iso-8859-16": "iso8859_16", "windows-1250": "cp1250",
		"windows-1251": "cp1251", "windows-1252": "cp1252", "windows-1253": "cp1253",
		"windows-1254": "cp1254", "windows-1255": "cp1255", "windows-1256": "cp1256",
		"windows-1257": "cp1257", "windows-1258": "cp1258", "koi8-r": "koi8_r", "koi8-u": "koi8_u",
		"iso-8859-1": "latin_1",
	}
	script := `
import sys
for name in sys.argv[1:]:
    print(name, " ".join(str(ord(bytes([b]).decode(name, "replace"))) for b in range(256)))
`
	var args []string
	for _, py := range names {
		args = append(args, py)
	}
	out, err := exec.Command("python3", append([]string{"-c", script}, args...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]rune{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, v := range f[1:] {
			n, _ := strconv.Atoi(v)
			want[f[0]] = append(want[f[0]], rune(n))
		}
	}
	for mime, py := range names {
		kind, table := lookupCharset(mime)
		if kind == csUnknown {
			t.Errorf("%s unknown", mime)
			continue
		}
		for b := 0; b < 256; b++ {
			got := []rune(string(appendCharset(nil, kind, table, []byte{byte(b)})))
			if len(got) != 1 || got[0] != want[py][b] {
				t.Errorf("%s %#x: got %U, python %U", mime, b, got, want[py][b])
				break
			}
		}
	}
}

func TestCharsetAliases(t *testing.T) {
	for _, name := range []string{"UTF-8", "utf8", "US-ASCII", "ascii", "ISO_8859-1", "latin1", "ISO-8859-15", "iso8859-15",
		"ISO_8859-2:1987", "Windows-1252", "cp1252", "x-cp1250", "latin2", "KOI8-R", "iso-8859-1*en"} {
		if k, _ := lookupCharset(name); k == csUnknown {
			t.Errorf("%s unknown", name)
		}
	}
	for _, name := range []string{"iso-8859-12", "iso-8859-17", "windows-1249", "gb2312", "", strings.Repeat("x", 40)} {
		if k, _ := lookupCharset(name); k != csUnknown {
			t.Errorf("%s known", name)
		}
	}
}

// appendBase64 agrees with encoding/base64 on every length and on
// invalid input.
func TestAppendBase64(t *testing.T) {
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		enc := base64.RawStdEncoding.EncodeToString(b)
		got, ok := appendBase64(nil, enc)
		if !ok || !bytes.Equal(got, b) {
			t.Errorf("n=%d: %x, %v", n, got, ok)
		}
	}
	for _, bad := range []string{"A", "AAAAA", "AA-A", "AA=A", "AA A"} {
		if _, ok := appendBase64(nil, bad); ok {
			t.Errorf("%q accepted", bad)
		}
		if _, err := base64.RawStdEncoding.DecodeString(bad); err == nil {
			t.Errorf("%q: encoding/base64 accepts it", bad)
		}
	}
}
