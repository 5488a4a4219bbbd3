package imap

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClient(t *testing.T) {
	ts := startServer(t, nil)
	ts.be.deliver("INBOX", msg1)
	ts.be.deliver("INBOX", msg2, `\Seen`)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bob", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	} else {
		var se *StatusError
		if !errors.As(err, &se) || se.Status != "NO" {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if err := c.Login("bob", "secret"); err != nil {
		t.Fatal(err)
	}
	sd, err := c.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&SelectData{Exists: 2, UIDValidity: 7, UIDNext: 3}, sd); diff != "" {
		t.Errorf("select: %s", diff)
	}
	uids, err := c.Search("UNSEEN")
	if err != nil || !cmp.Equal(uids, []uint32{1}) {
		t.Fatalf("search: %v %v", uids, err)
	}
	all := SeqSet{Ranges: []Range{{1, Star}}}
	fds, err := c.Fetch(all, "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	if err != nil {
		t.Fatal(err)
	}
	if len(fds) != 2 || fds[0].UID != 1 || fds[1].Size != 73 || string(fds[0].Sections["BODY[HEADER.FIELDS (SUBJECT)]"]) != "Subject: Hello Bob\r\n\r\n" {
		t.Fatalf("fetch: %+v %+v", fds[0], fds[1])
	}
	if err := c.Store(SeqSet{Ranges: []Range{{1, 1}}}, StoreAdd, []string{`\Flagged`}); err != nil {
		t.Fatal(err)
	}
	uid, err := c.Append("INBOX", []string{`\Seen`}, []byte(msg2))
	if err != nil || uid != 3 {
		t.Fatalf("append: %d %v", uid, err)
	}
	// A delivery from elsewhere wakes IDLE.
	go func() {
		time.Sleep(20 * time.Millisecond)
		ts.be.deliver("INBOX", msg1)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var exists string
	err = c.Idle(ctx, func(r *Response) bool {
		if len(r.Fields) == 2 && r.Fields[1].Atom == "EXISTS" {
			exists = r.Fields[0].Atom
			return exists == "4"
		}
		return false
	})
	if err != nil || exists != "4" {
		t.Fatalf("idle: %q %v", exists, err)
	}
	fds, err = c.Fetch(SeqSet{Ranges: []Range{{1, 1}}}, "(FLAGS)")
	if err != nil || !cmp.Equal(fds[0].Flags, []string{`\Flagged`}) {
		t.Fatalf("flags after store: %v %v", fds, err)
	}
	if err := c.Logout(); err != nil {
		t.Fatal(err)
	}
}

// FuzzReadResponse: the client's response reader never panics on server
// bytes.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {5}\r\nabcde FLAGS (\\Seen))\r\n",
		"a1 OK [CAPABILITY IMAP4rev2] done\r\n", "+ go\r\n", "* ESEARCH (TAG \"a\") UID ALL 1:3,5\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d := newResponseDecoder(newBufioReader(in))
		d.Limits.MaxLiteral = 1 << 16
		for i := 0; i < 100; i++ {
			if _, err := d.ReadResponse(); err != nil {
				return
			}
		}
	})
}
