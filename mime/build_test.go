package mime

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	fuzz "github.com/google/gofuzz"
)

// leafOut is what a reader gets back for a built leaf.
type leafOut struct {
	Type, Filename, ContentID string
	Body                      []byte
}

func flatten(n *Node) []leafOut {
	if len(n.Parts) > 0 {
		var out []leafOut
		for _, c := range n.Parts {
			out = append(out, flatten(c)...)
		}
		return out
	}
	body := n.Body
	mt := n.MediaType
	if mt == "" {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "text/") {
		body = appendCRLF(nil, body)
	}
	return []leafOut{{mt, n.Filename, n.ContentID, body}}
}

func readBack(t *testing.T, msg []byte) []leafOut {
	t.Helper()
	tr, err := Parse(msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Problems) > 0 {
		t.Fatalf("problems reading a built message: %v\n%s", tr.Problems, msg)
	}
	var out []leafOut
	_ = tr.Root.Walk(func(p *Part) error {
		if p.IsMultipart() {
			return nil
		}
		if isEncoded(p.Encoding) { // RFC 2045 6.7 (5), 6.8: 76 characters
			for _, l := range bytes.Split(p.Body(msg), []byte("\r\n")) {
				if len(l) > 76 {
					t.Fatalf("part %s: %s line of %d characters", p.Section, p.Encoding, len(l))
				}
			}
		}
		r, err := p.Decode(msg)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		out = append(out, leafOut{p.MediaType, p.Filename(), p.ContentID(), b})
		return nil
	})
	return out
}

// checkLines: every line CRLF-terminated, at most 998 octets (RFC 5322
// 2.1.1).
func checkLines(t *testing.T, msg []byte) {
	t.Helper()
	lines := bytes.SplitAfter(msg, []byte("\n"))
	for i, l := range lines {
		if i == len(lines)-1 && !bytes.ContainsAny(l, "\r\n") {
			continue // the body's last line may lack a line end
		}
		if !bytes.HasSuffix(l, []byte("\r\n")) || bytes.IndexByte(l[:len(l)-2], '\r') >= 0 || bytes.IndexByte(l[:len(l)-1], '\n') >= 0 {
			t.Fatalf("line %d not CRLF-terminated: %q", i, l)
		}
		if len(l)-2 > 998 {
			t.Fatalf("line %d has %d octets", i, len(l)-2)
		}
	}
}

func TestBuildRoundTrip(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 100)...)
	n := Mixed(
		Alternative(
			Text("Hello Bob,\nhere is the file.\n"),
			Related(HTML(`<p>Hello Bob, <img src="cid:logo@x"></p>`+"\n"), Inline("logo@x", "image/png", png)),
		),
		Attachment("résumé 2026.pdf", "application/pdf", bytes.Repeat([]byte("%PDF\x00\xfe"), 300)),
		Attachment("notes.txt", "text/plain", []byte("ascii notes\n")),
		Text("Grüße, façade — ünïcödé\n"+strings.Repeat("long line ", 150)+"\n"),
	)
	msg, err := n.AppendEntity(nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, msg)
	if d := cmp.Diff(flatten(n), readBack(t, msg)); d != "" {
		t.Errorf("(-built +read):\n%s", d)
	}
	for _, want := range []string{"Content-Transfer-Encoding: quoted-printable", "Content-Transfer-Encoding: base64", "filename*=utf-8''r%C3%A9sum%C3%A9", "Content-ID: <logo@x>", "multipart/related;"} {
		if !bytes.Contains(msg, []byte(want)) {
			t.Errorf("message lacks %q", want)
		}
	}
}

// A 7bit body that holds what would be the boundary does not break the
// message.
func TestBuildBoundaryClash(t *testing.T) {
	a := Text("x")
	first, _ := Mixed(a).AppendEntity(nil)
	_, params, _ := ParseMediaType(string(first[len("Content-Type: "):bytes.Index(first, []byte("\r\n"))]), nil)
	evil := Text("--" + params["boundary"] + "--\n")
	msg, err := Mixed(a, evil).AppendEntity(nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(flatten(Mixed(a, evil)), readBack(t, msg)); d != "" {
		t.Errorf("(-built +read):\n%s", d)
	}
}

// Property: any tree of parts the builder writes reads back the same
// (gofuzz fills bodies and names; the fill keeps the tree legal).
func TestBuildProperty(t *testing.T) {
	types := []string{"text/plain", "text/html", "application/octet-stream", "image/png", "application/pdf"}
	f := fuzz.NewWithSeed(1).NilChance(0).NumElements(0, 4).Funcs(
		func(n *Node, c fuzz.Continue) {
			*n = Node{}
			if c.Intn(3) == 0 {
				k := 1 + c.Intn(3)
				for range k {
					var child Node
					if c.Intn(2) == 0 {
						c.Fuzz(&child.Body)
						child.MediaType = types[c.Intn(len(types))]
					} else {
						c.Fuzz(&child)
					}
					n.Parts = append(n.Parts, &child)
				}
				n.MediaType = []string{"multipart/mixed", "multipart/alternative", "multipart/related"}[c.Intn(3)]
				return
			}
			n.MediaType = types[c.Intn(len(types))]
			c.Fuzz(&n.Body)
			if c.Intn(2) == 0 {
				var name string
				c.Fuzz(&name)
				n.Filename = strings.Map(func(r rune) rune {
					if r < ' ' || r == 0x7f || r == '/' || r == '\\' || r == 0xfffd {
						return 'x'
					}
					return r
				}, name)
				if n.Filename == "." || n.Filename == ".." {
					n.Filename = "x"
				}
			}
		},
		func(b *[]byte, c fuzz.Continue) {
			n := c.Intn(3000)
			*b = make([]byte, n)
			switch c.Intn(3) {
			case 0: // text
				for i := range *b {
					(*b)[i] = "abc de\n\t.-=é"[c.Intn(12)]
				}
			case 1:
				for i := range *b {
					(*b)[i] = byte(c.Uint32())
				}
			default:
				for i := range *b {
					(*b)[i] = byte(' ' + c.Intn(95))
				}
			}
		},
	)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		var n Node
		f.Fuzz(&n)
		_ = rng
		msg, err := n.AppendEntity(nil)
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, msg)
		if d := cmp.Diff(flatten(&n), readBack(t, msg)); d != "" {
			t.Fatalf("case %d (-built +read):\n%s\n%s", i, d, msg)
		}
		var w bytes.Buffer
		if err := n.WriteEntity(&w); err != nil || !bytes.Equal(w.Bytes(), msg) {
			t.Fatalf("case %d: WriteEntity (%v) differs from AppendEntity", i, err)
		}
	}
}
