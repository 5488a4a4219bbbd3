package main

import (
	"bytes"
	"net"
	"strings"
	"sync"
)

// recorder wraps a listener and keeps a transcript of every connection it
// accepts, as the server sees it: "C:" lines read from the client, "S:"
// lines written to it. After STARTTLS the bytes are ciphertext, so the
// transcript stops there and says so.
type recorder struct {
	net.Listener
	mu    sync.Mutex
	conns []*recConn
}

func (r *recorder) Accept() (net.Conn, error) {
	c, err := r.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recConn{Conn: c}
	r.mu.Lock()
	r.conns = append(r.conns, rc)
	r.mu.Unlock()
	return rc, nil
}

// Conns returns the connections accepted so far.
func (r *recorder) Conns() []*recConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*recConn(nil), r.conns...)
}

type recConn struct {
	net.Conn
	// client marks a transcript recorded at the client's end: what it
	// reads is the server's ("S:"), what it writes its own ("C:").
	client    bool
	mu        sync.Mutex
	lines     []string
	partial   [2]bytes.Buffer // unfinished line per direction (0 client, 1 server)
	encrypted bool
}

func (c *recConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.record(0, p[:n])
	return n, err
}

func (c *recConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.record(1, p[:n])
	return n, err
}

func (c *recConn) record(dir int, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.encrypted || len(p) == 0 {
		return
	}
	// A TLS record starts with content type 22 (handshake) after the
	// server's "220 Ready to start TLS": from here on, nothing readable.
	if !c.client && p[0] == 0x16 {
		c.encrypted = true
		c.lines = append(c.lines, "   (TLS handshake: the rest of this session is encrypted)")
		return
	}
	prefix := [2]string{"C: ", "S: "}[dir]
	if c.client {
		prefix = [2]string{"S: ", "C: "}[dir]
	}
	buf := &c.partial[dir]
	buf.Write(p)
	for {
		line, rest, ok := bytes.Cut(buf.Bytes(), []byte("\n"))
		if !ok {
			break
		}
		text := strings.TrimRight(string(line), "\r")
		// RFC 4954 4: the initial response carries the password (base64
		// is not encryption); never print it.
		if f := strings.Fields(text); len(f) == 3 && strings.EqualFold(f[0], "AUTH") {
			text = f[0] + " " + f[1] + " <credentials hidden>"
		}
		c.lines = append(c.lines, prefix+text)
		next := append([]byte(nil), rest...)
		buf.Reset()
		buf.Write(next)
	}
}

// Lines returns the transcript so far.
func (c *recConn) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// count returns how many transcript lines start with prefix.
func (c *recConn) count(prefix string) int {
	n := 0
	for _, l := range c.Lines() {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}
