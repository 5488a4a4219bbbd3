package mime_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mime"
	"github.com/relaykit/relaykit/rfc5322"
)

// Alice writes a text part and attaches a small file; Bob prints the
// MIME tree he received and reads the attachment.
func Example() {
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{{Name: "Alice", Addr: "alice@crepes.example"}},
		To:      []rfc5322.Address{{Name: "Bob", Addr: "bob@gaufres.example"}},
		Subject: "The recipe",
		Now:     func() time.Time { return time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) },
		Rand:    strings.NewReader(strings.Repeat("\x00", 64)),
	}
	body := mime.Mixed(
		mime.Text("Hi Bob,\nthe recipe is attached.\nAlice\n"),
		mime.Attachment("crêpes.txt", "text/plain", []byte("flour, eggs, milk\n")),
	)
	if err := body.Compose(b); err != nil {
		panic(err)
	}
	msg, _, err := b.Message()
	if err != nil {
		panic(err)
	}

	// Bob's side.
	tree, err := mime.Parse(msg, nil)
	if err != nil {
		panic(err)
	}
	_ = tree.Root.Walk(func(p *mime.Part) error {
		fmt.Printf("%s%s\n", strings.Repeat("  ", p.Depth), p)
		return nil
	})
	att := tree.Root.Parts[1]
	r, _ := att.Decode(msg)
	data, _ := io.ReadAll(r)
	fmt.Printf("%s: %q\n", att.Filename(), data)
	fmt.Println(bytes.Equal(att.RawHeader(msg), msg[att.HeaderStart:att.BodyStart]))
	// Output:
	// TEXT multipart/mixed 324 octets
	//   1 text/plain 41 octets
	//   2 text/plain name="crêpes.txt" 19 octets
	// crêpes.txt: "flour, eggs, milk\r\n"
	// true
}

// A Walker reads a message of any size in constant memory: each part's
// body streams by, decoded, between calls of Next.
func ExampleWalker() {
	msg := "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n" +
		"--b--\r\n"
	w := mime.NewWalker(strings.NewReader(msg), nil)
	for {
		p, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		r, err := w.Text()
		if err != nil {
			panic(err)
		}
		n, _ := io.Copy(io.Discard, r)
		fmt.Println(p.Section, p.MediaType, n)
	}
	// Output:
	// multipart/mixed 0
	// 1 text/plain 5
	// 2 application/octet-stream 5
}

func ExampleParseMediaType() {
	t, params, err := mime.ParseMediaType("attachment; filename*0*=iso-8859-1''Cr%EApes; filename*1=\".txt\"", nil)
	fmt.Println(t, params["filename"], err)
	// Output:
	// attachment Crêpes.txt <nil>
}

// WriteMessage streams a message to an io.Writer (here a counter; a file
// or an SMTP DATA writer in practice): the attachment is read from an
// io.Reader as it is written and never held whole.
func ExampleNode_WriteMessage() {
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{{Addr: "alice@crepes.example"}},
		To:      []rfc5322.Address{{Addr: "bob@gaufres.example"}},
		Subject: "The video",
		Date:    time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC),
		Rand:    strings.NewReader(strings.Repeat("\x00", 64)),
	}
	video := io.LimitReader(zeros{}, 10<<20) // 10 MiB, made as read
	n := mime.Mixed(
		mime.Text("Hi Bob, the video of the crêpes party.\n"),
		&mime.Node{MediaType: "video/mp4", Filename: "party.mp4", Reader: video},
	)
	var w countingWriter
	if _, err := n.WriteMessage(&w, b); err != nil {
		panic(err)
	}
	fmt.Println(w.n > 10<<20*4/3, w.writes > 100)
	// Output:
	// true true
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countingWriter struct{ n, writes int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.writes++
	return len(p), nil
}
