package imap

import (
	"strconv"
	"strings"
	"testing"
)

// searchTextMsgs are messages whose text is encoded (RFC 2045 6.7,
// 6.8, RFC 2047) for the text search tests, here and against Dovecot.
var searchTextMsgs = []string{
	// 1: quoted-printable, a soft line break inside "needle".
	"Subject: qp\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nA nee=\r\ndle here.\r\n",
	// 2: base64 UTF-8 "Crème brûlée at the café".
	"Subject: b64\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nQ3LDqG1lIGJyw7tsw6llIGF0IHRoZSBjYWbDqQ==\r\n",
	// 3: ISO-8859-1 "café" in quoted-printable, inside a multipart.
	"Subject: latin1\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nLe caf=E9.\r\n--x--\r\n",
	// 4: "needle" base64 in an image: not text, not searched.
	"Subject: image\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=y\r\n\r\n--y\r\n" +
		"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\nbmVlZGxl\r\n--y--\r\n",
	// 5: the word in an encoded word of the header alone.
	"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_and_needle?=\r\n\r\nnothing\r\n",
	// 6: plain text, upper case.
	"Subject: plain\r\n\r\nA NEEDLE, and CAFÉ.\r\n",
	// 7: a part header, an attached message's header and its body.
	"Subject: nested\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\npreamble-word\r\n--z\r\n" +
		"X-Part: partheader-word\r\nContent-Type: text/plain\r\n\r\nfirst-part-word\r\n--z\r\n" +
		"Content-Type: message/rfc822\r\n\r\nSubject: inner-subject-word\r\n\r\ninner-body-word\r\n--z--\r\nepilogue-word\r\n",
	// 8: an unknown charset, base64 ("needle" in ASCII): searched decoded.
	"Subject: x\r\nContent-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\nbmVlZGxl\r\n",
}

// searchTextKeys are SEARCH keys over searchTextMsgs, with the answer.
var searchTextKeys = []struct{ key, want string }{
	{"BODY needle", "* SEARCH 1 6 8"},
	{"TEXT needle", "* SEARCH 1 5 6 8"},
	{"BODY bmVlZGxl", "* SEARCH"}, // encoded in a non-text part
	{"CHARSET UTF-8 BODY " + literal("CAFÉ"), "* SEARCH 2 3 6"},
	{"CHARSET UTF-8 BODY " + literal("brûlée"), "* SEARCH 2"},
	{"CHARSET UTF-8 TEXT " + literal("grüße"), "* SEARCH 5"},
	{"CHARSET UTF-8 BODY " + literal("grüße"), "* SEARCH"},
	{"BODY cafe", "* SEARCH"}, // Dovecot: 2 3 6 (it folds accents too)
	{"BODY preamble-word", "* SEARCH"},
	{"BODY partheader-word", "* SEARCH"},
	{"BODY first-part-word", "* SEARCH 7"},
	{"BODY inner-subject-word", "* SEARCH"},
	{"BODY inner-body-word", "* SEARCH 7"},
	{"BODY epilogue-word", "* SEARCH"},
	{"TEXT inner-subject-word", "* SEARCH 7"},
	{"TEXT partheader-word", "* SEARCH 7"},
	{"BODY Content-Type", "* SEARCH"},
}

// literal is s as a non-synchronizing literal (RFC 7888).
func literal(s string) string { return "{" + strconv.Itoa(len(s)) + "+}\r\n" + s }

// TestSearchDecodedText: SEARCH BODY and TEXT find words in text parts
// once their transfer encoding is undone and their charset converted,
// and TEXT finds them in encoded words of the header (RFC 9051 6.4.4);
// non-text parts, preambles, epilogues and headers are not in the BODY.
func TestSearchDecodedText(t *testing.T) {
	c := startServer(t, nil).inbox(t, searchTextMsgs)
	for _, q := range searchTextKeys {
		c.check("s", "SEARCH "+q.key, q.want, "s OK SEARCH completed")
	}
}

// FuzzContainsFold: the allocation-free ASCII case-insensitive search
// agrees with lowering both sides and strings.Contains.
func FuzzContainsFold(f *testing.F) {
	f.Add("A Needle in hay", "nEEDLE")
	f.Add("aaab", "aab")
	f.Add("", "")
	f.Add("x", "xy")
	f.Add("12-34", "-3")
	f.Fuzz(func(t *testing.T, s, sub string) {
		if !isASCII(sub) {
			return
		}
		want := strings.Contains(lowerAll(s), lowerAll(sub))
		if got := bytesContainsFold([]byte(s), sub); got != want {
			t.Errorf("bytesContainsFold(%q, %q) = %v", s, sub, got)
		}
		if got := containsFold(s, sub); got != want {
			t.Errorf("containsFold(%q, %q) = %v", s, sub, got)
		}
	})
}

// lowerAll lowers ASCII letters alone, as the matching does for an ASCII
// search string.
func lowerAll(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}

// TestContainsFoldAllocs: searching a message for an ASCII string
// allocates nothing.
func TestContainsFoldAllocs(t *testing.T) {
	msg := []byte(strings.Repeat("Some line of a Message body, nothing to see.\r\n", 100) + "the NeEdLe")
	if n := testing.AllocsPerRun(100, func() {
		if !bytesContainsFold(msg, "needle") || bytesContainsFold(msg, "absent") {
			t.Fatal("wrong answer")
		}
	}); n != 0 {
		t.Errorf("%.0f allocations per search", n)
	}
}
