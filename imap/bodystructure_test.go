package imap

import (
	"os"
	"testing"

	"github.com/relaykit/relaykit/mime"
)

// TestBodyStructure pins BODYSTRUCTURE for testdata/mime/mixed.eml to
// the answer Dovecot 2.3.19 gave for the same file
// (TestInteropDovecotFetch compares the two live).
func TestBodyStructure(t *testing.T) {
	msg, err := os.ReadFile("testdata/mime/mixed.eml")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := mime.Parse(msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `(((` +
		`"text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 40 1 NIL NIL NIL NIL)` +
		`("text" "html" ("charset" "utf-8") NIL NIL "7bit" 14 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)` +
		`("application" "pdf" NIL "<pdf1@crepes.fr>" "the recipe" "base64" 72 NIL ("attachment" ("filename*" "utf-8''recette%20cr%C3%AApes.pdf")) NIL NIL)` +
		`("message" "rfc822" NIL NIL NIL "7bit" 288 ("Mon, 4 Mar 2024 09:00:00 +0000" "original" (("Carol" NIL "carol" "example.org")) (("Carol" NIL "carol" "example.org")) (("Carol" NIL "carol" "example.org")) ((NIL NIL "alice" "crepes.fr")) NIL NIL NIL NIL) ` +
		`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("image" "png" NIL NIL NIL "base64" 12 NIL NIL NIL NIL) "mixed" ("boundary" "b2") NIL NIL NIL) 16 NIL NIL NIL NIL) ` +
		`"mixed" ("boundary" "outer") NIL NIL NIL)`
	if got := string(appendBodyStructure(nil, msg, tree.Root, true, false)); got != want {
		t.Errorf("BODYSTRUCTURE\n got %s\nwant %s", got, want)
	}
	for _, tt := range []struct {
		path []int
		want string // media type of the part found, "" for none
	}{
		{[]int{1}, "multipart/alternative"}, {[]int{1, 2}, "text/html"}, {[]int{3}, "message/rfc822"},
		{[]int{3, 2}, "image/png"}, {[]int{4}, ""}, {[]int{2, 1}, ""}, {[]int{1, 1, 1}, ""},
	} {
		p := findPart(tree.Root, tt.path)
		got := ""
		if p != nil {
			got = p.MediaType
		}
		if got != tt.want {
			t.Errorf("findPart(%v) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
