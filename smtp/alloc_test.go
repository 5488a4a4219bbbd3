package smtp

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// discardBackend drops every message; the backend of the allocation
// budget tests.
type discardBackend struct{ n atomic.Int64 }

func (b *discardBackend) NewSession(context.Context, *Conn) (Session, error) {
	return discardSession{b}, nil
}

type discardSession struct{ b *discardBackend }

func (s discardSession) Mail(context.Context, string, *MailOptions) error { return nil }
func (s discardSession) Rcpt(context.Context, string, *RcptOptions) error { return nil }
func (s discardSession) Reset(context.Context)                            {}
func (s discardSession) Logout(context.Context) error                     { return nil }
func (s discardSession) Data(_ context.Context, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.b.n.Add(1)
	return err
}

// TestServerAllocsPerMessage holds the server's budget: a 4 KiB message
// over a persistent, pipelining connection costs at most 5 allocations and
// 512 bytes (issue 5). The driver below allocates nothing per message.
func TestServerAllocsPerMessage(t *testing.T) {
	be := &discardBackend{}
	addr := startServer(t, &Server{Backend: be})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	expect := func(class byte) {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil || len(line) < 4 || line[0] != class {
				panic("unexpected reply " + string(line))
			}
			if line[3] != '-' {
				return
			}
		}
	}
	expect('2')
	nc.Write([]byte("EHLO alloc.test\r\n"))
	expect('2')
	cmds := []byte("MAIL FROM:<alice@example.org> SIZE=4096\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
	line := strings.Repeat("x", 76) + "\r\n"
	data := []byte(strings.Repeat(line, 4096/len(line)) + ".\r\n")
	send := func() {
		nc.Write(cmds)
		expect('2')
		expect('2')
		expect('3')
		nc.Write(data)
		expect('2')
	}
	for range 20 { // warm up buffers and caches
		send()
	}
	n := testing.AllocsPerRun(200, send)
	t.Logf("%v allocations per message", n)
	if n > 5 {
		t.Errorf("%v allocations per message, budget 5", n)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const msgs = 200
	for range msgs {
		send()
	}
	runtime.ReadMemStats(&after)
	b := (after.TotalAlloc - before.TotalAlloc) / msgs
	t.Logf("%d bytes per message", b)
	if b > 512 {
		t.Errorf("%d bytes allocated per message, budget 512", b)
	}
}

// TestDataReaderAllocs: reading a message through a reused DataReader
// does not allocate.
func TestDataReaderAllocs(t *testing.T) {
	msg := strings.Repeat("line of text\r\n..dot\r\n", 50) + ".\r\n"
	sr := strings.NewReader(msg)
	br := bufio.NewReader(sr)
	d := NewDataReader(br)
	n := testing.AllocsPerRun(100, func() {
		sr.Reset(msg)
		br.Reset(sr)
		d.Reset(br)
		if _, err := io.Copy(io.Discard, d); err != nil {
			panic(err)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per message, want 0", n)
	}
}

// TestClientAllocsPerMessage holds the Client's budget: SendMail of a
// 4 KiB message to one recipient over a persistent connection allocates
// at most 5 times (the result and its slice among them), with DATA or
// BDAT. The discard server allocates nothing per message.
func TestClientAllocsPerMessage(t *testing.T) {
	addr := startServer(t, &Server{Backend: &discardBackend{}})
	c := dialTest(t, addr, nil)
	ctx := context.Background()
	line := strings.Repeat("x", 76) + "\r\n"
	msg := strings.Repeat(line, 4096/len(line))
	r := strings.NewReader(msg)
	to := []string{"bob@example.net"}
	for _, chunking := range []bool{false, true} {
		opts := &SendOptions{Chunking: chunking}
		send := func() {
			r.Reset(msg)
			if _, err := c.SendMail(ctx, "alice@example.org", to, r, opts); err != nil {
				panic(err)
			}
		}
		for range 10 {
			send()
		}
		n := testing.AllocsPerRun(200, send)
		t.Logf("chunking=%v: %v allocations per message", chunking, n)
		if n > 5 {
			t.Errorf("chunking=%v: %v allocations per message, budget 5", chunking, n)
		}
	}
}
