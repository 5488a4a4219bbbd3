package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

// StatusError is a NO or BAD answer to a client's command.
type StatusError struct {
	Command string // the command name
	Status  string // "NO" or "BAD"
	Text    string // the server's text, response code included
}

func (e *StatusError) Error() string {
	return "imap: " + e.Command + ": " + e.Status + " " + e.Text
}

// Client is a small IMAP client for one connection: enough for a
// monitoring probe, a test or a migration tool (login, select, search,
// fetch, store, append, expunge, idle). It is not safe for concurrent
// use. Untagged data the methods do not ask for is passed to Unsolicited
// when set.
type Client struct {
	nc   net.Conn
	br   *bufio.Reader
	d    *Decoder
	n    int
	caps map[string]bool
	// Timeout bounds each command (default one minute).
	Timeout time.Duration
	// Unsolicited receives untagged responses that no method consumed
	// (EXISTS, EXPUNGE, FETCH FLAGS from other sessions); nil drops them.
	Unsolicited func(*Response)
}

// NewClient reads the greeting from nc and returns a Client.
func NewClient(nc net.Conn) (*Client, error) {
	c := &Client{nc: nc}
	c.br = bufio.NewReaderSize(nc, 16<<10)
	c.d = newResponseDecoder(c.br)
	nc.SetReadDeadline(time.Now().Add(time.Minute))
	r, err := c.d.ReadResponse()
	if err != nil {
		return nil, err
	}
	if r.Tag != "*" || len(r.Fields) == 0 || (upper(r.Fields[0].Atom) != "OK" && upper(r.Fields[0].Atom) != "PREAUTH") {
		return nil, &StatusError{Command: "greeting", Status: "BYE", Text: r.Text}
	}
	c.setCapsFromText(r.Text)
	return c, nil
}

// Dial connects to addr (host:port) and reads the greeting; with cfg
// non-nil the connection is TLS from the start (port 993).
func Dial(ctx context.Context, addr string, cfg *tls.Config) (*Client, error) {
	var dl net.Dialer
	var nc net.Conn
	var err error
	if cfg != nil {
		td := tls.Dialer{NetDialer: &dl, Config: cfg}
		nc, err = td.DialContext(ctx, "tcp", addr)
	} else {
		nc, err = dl.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	c, err := NewClient(nc)
	if err != nil {
		nc.Close()
	}
	return c, err
}

func (c *Client) setCapsFromText(text string) {
	if !strings.HasPrefix(text, "[CAPABILITY ") {
		return
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return
	}
	c.caps = map[string]bool{}
	for _, f := range strings.Fields(text[len("[CAPABILITY "):end]) {
		c.caps[upper(f)] = true
	}
}

// Has reports whether the server announced capability name, asking for
// the list when it has not been seen.
func (c *Client) Has(name string) bool {
	if c.caps == nil {
		c.Capability()
	}
	return c.caps[upper(name)]
}

// Capability asks for the server's capabilities.
func (c *Client) Capability() ([]string, error) {
	var list []string
	_, err := c.cmd("CAPABILITY", func(r *Response) bool {
		if len(r.Fields) > 0 && upper(r.Fields[0].Atom) == "CAPABILITY" {
			c.caps = map[string]bool{}
			for _, f := range r.Fields[1:] {
				c.caps[upper(f.Atom)] = true
				list = append(list, f.Atom)
			}
			return true
		}
		return false
	})
	return list, err
}

// cmd sends one command line and reads responses until its tagged one;
// handle gets each untagged response and reports whether it used it.
func (c *Client) cmd(line string, handle func(*Response) bool) (*Response, error) {
	c.n++
	tag := "c" + strconv.Itoa(c.n)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	c.nc.SetDeadline(time.Now().Add(timeout))
	if _, err := c.nc.Write([]byte(tag + " " + line + "\r\n")); err != nil {
		return nil, err
	}
	return c.wait(tag, line, handle)
}

func (c *Client) wait(tag, line string, handle func(*Response) bool) (*Response, error) {
	for {
		r, err := c.d.ReadResponse()
		if err != nil {
			return nil, err
		}
		if r.Tag == tag {
			name, _, _ := strings.Cut(line, " ")
			if len(r.Fields) == 0 {
				return r, &StatusError{Command: name, Status: "BAD", Text: r.Text}
			}
			switch st := upper(r.Fields[0].Atom); st {
			case "OK":
				c.setCapsFromText(r.Text)
				return r, nil
			default:
				return r, &StatusError{Command: name, Status: st, Text: r.Text}
			}
		}
		if r.Tag == "*" && handle != nil && handle(r) {
			continue
		}
		if r.Tag == "*" && c.Unsolicited != nil {
			c.Unsolicited(r)
		}
	}
}

// quote returns s as an IMAP string for a command.
func quote(s string) string { return string(AppendString(nil, s, true)) }

// StartTLS upgrades the connection (RFC 9051 6.2.1).
func (c *Client) StartTLS(cfg *tls.Config) error {
	if _, err := c.cmd("STARTTLS", nil); err != nil {
		return err
	}
	tc := tls.Client(c.nc, cfg)
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.nc = tc
	c.br = bufio.NewReaderSize(tc, 16<<10)
	c.d = newResponseDecoder(c.br)
	c.caps = nil
	return nil
}

// Login authenticates with AUTHENTICATE PLAIN when offered (with SASL-IR),
// else LOGIN.
func (c *Client) Login(user, password string) error {
	if strings.ContainsAny(user+password, "\x00\r\n") {
		return errors.New("imap: NUL, CR or LF in credentials")
	}
	if c.Has("AUTH=PLAIN") && c.Has("SASL-IR") {
		ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
		_, err := c.cmd("AUTHENTICATE PLAIN "+ir, nil)
		return err
	}
	_, err := c.cmd("LOGIN "+quote(user)+" "+quote(password), nil)
	return err
}

// SelectData is what SELECT and EXAMINE report.
type SelectData struct {
	Exists        uint32
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
	ReadOnly      bool
}

// Select opens a mailbox (EXAMINE when readOnly).
func (c *Client) Select(mailbox string, readOnly bool) (*SelectData, error) {
	verb := "SELECT "
	if readOnly {
		verb = "EXAMINE "
	}
	sd := &SelectData{}
	r, err := c.cmd(verb+quote(mailbox), func(r *Response) bool {
		if len(r.Fields) == 2 && upper(r.Fields[1].Atom) == "EXISTS" {
			n, _ := strconv.ParseUint(r.Fields[0].Atom, 10, 32)
			sd.Exists = uint32(n)
			return true
		}
		if len(r.Fields) == 1 && upper(r.Fields[0].Atom) == "OK" {
			code, arg := responseCode(r.Text)
			n, _ := strconv.ParseUint(arg, 10, 64)
			switch code {
			case "UIDVALIDITY":
				sd.UIDValidity = uint32(n)
			case "UIDNEXT":
				sd.UIDNext = uint32(n)
			case "HIGHESTMODSEQ":
				sd.HighestModSeq = n
			}
			return true
		}
		return false
	})
	if err == nil {
		code, _ := responseCode(r.Text)
		sd.ReadOnly = code == "READ-ONLY"
	}
	return sd, err
}

// responseCode splits "[CODE arg] text" into CODE and arg.
func responseCode(text string) (code, arg string) {
	if !strings.HasPrefix(text, "[") {
		return "", ""
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return "", ""
	}
	code, arg, _ = strings.Cut(text[1:end], " ")
	return upper(code), arg
}

// Search runs UID SEARCH with criteria in IMAP syntax (for example
// `UNSEEN FROM "alice"`) and returns the matching UIDs.
func (c *Client) Search(criteria string) ([]uint32, error) {
	var uids []uint32
	_, err := c.cmd("UID SEARCH "+criteria, func(r *Response) bool {
		if len(r.Fields) > 0 && upper(r.Fields[0].Atom) == "SEARCH" {
			for _, f := range r.Fields[1:] {
				if n, err := strconv.ParseUint(f.Atom, 10, 32); err == nil {
					uids = append(uids, uint32(n))
				}
			}
			return true
		}
		if len(r.Fields) > 0 && upper(r.Fields[0].Atom) == "ESEARCH" {
			for i := 1; i+1 < len(r.Fields); i++ {
				if upper(r.Fields[i].Atom) == "ALL" {
					d := NewDecoder(bufio.NewReader(strings.NewReader(r.Fields[i+1].Atom + "\r\n")))
					set, err := d.SeqSet(false)
					if err == nil {
						for _, rg := range set.Ranges {
							for u := rg.Start; u <= rg.Stop && len(uids) < 1<<20; u++ {
								uids = append(uids, u)
							}
						}
					}
				}
			}
			return true
		}
		return false
	})
	return uids, err
}

// FetchData is one message's FETCH response. Sections holds the data
// items with section specs (key as the server named them, for example
// "BODY[]" or "BODY[HEADER.FIELDS (SUBJECT)]"); Items holds every item's
// raw value by name.
type FetchData struct {
	Seq      uint32
	UID      uint32
	Flags    []string
	Size     int64
	Date     time.Time
	Sections map[string][]byte
	Items    map[string]Value
}

// Fetch runs UID FETCH for the UIDs in set with items in IMAP syntax (for
// example "(FLAGS BODY.PEEK[])").
func (c *Client) Fetch(set SeqSet, items string) ([]*FetchData, error) {
	var out []*FetchData
	_, err := c.cmd("UID FETCH "+set.String()+" "+items, func(r *Response) bool {
		if len(r.Fields) == 3 && upper(r.Fields[1].Atom) == "FETCH" && r.Fields[2].IsList {
			fd := parseFetch(r)
			out = append(out, fd)
			return true
		}
		return false
	})
	return out, err
}

func parseFetch(r *Response) *FetchData {
	seq, _ := strconv.ParseUint(r.Fields[0].Atom, 10, 32)
	fd := &FetchData{Seq: uint32(seq), Sections: map[string][]byte{}, Items: map[string]Value{}}
	l := r.Fields[2].List
	for i := 0; i+1 < len(l); i += 2 {
		name, v := l[i].Atom, l[i+1]
		fd.Items[upper(name)] = v
		switch upper(name) {
		case "UID":
			n, _ := strconv.ParseUint(v.Atom, 10, 32)
			fd.UID = uint32(n)
		case "FLAGS":
			for _, f := range v.List {
				fd.Flags = append(fd.Flags, f.Atom)
			}
		case "RFC822.SIZE":
			fd.Size, _ = strconv.ParseInt(v.Atom, 10, 64)
		case "INTERNALDATE":
			fd.Date, _ = ParseDateTime(v.Text())
		default:
			if strings.ContainsRune(name, '[') {
				fd.Sections[name] = v.Str
			}
		}
	}
	return fd
}

// Store changes flags of the UIDs in set (op: StoreReplace, StoreAdd,
// StoreRemove), silently.
func (c *Client) Store(set SeqSet, op StoreOp, flags []string) error {
	prefix := ""
	switch op {
	case StoreAdd:
		prefix = "+"
	case StoreRemove:
		prefix = "-"
	}
	_, err := c.cmd("UID STORE "+set.String()+" "+prefix+"FLAGS.SILENT ("+strings.Join(flags, " ")+")", nil)
	return err
}

// Append stores msg in mailbox and returns its UID when the server
// reports APPENDUID (RFC 4315), else 0.
func (c *Client) Append(mailbox string, flags []string, msg []byte) (uint32, error) {
	c.n++
	tag := "c" + strconv.Itoa(c.n)
	line := tag + " APPEND " + quote(mailbox) + " (" + strings.Join(flags, " ") + ") {" + strconv.Itoa(len(msg))
	literalPlus := c.Has("LITERAL+")
	if literalPlus {
		line += "+"
	}
	line += "}\r\n"
	c.nc.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.nc.Write([]byte(line)); err != nil {
		return 0, err
	}
	if !literalPlus {
		r, err := c.d.ReadResponse()
		if err != nil {
			return 0, err
		}
		if r.Tag != "+" {
			return 0, &StatusError{Command: "APPEND", Status: "NO", Text: r.Text}
		}
	}
	if _, err := c.nc.Write(append(msg, '\r', '\n')); err != nil {
		return 0, err
	}
	r, err := c.wait(tag, "APPEND", nil)
	if err != nil {
		return 0, err
	}
	if code, arg := responseCode(r.Text); code == "APPENDUID" {
		_, u, _ := strings.Cut(arg, " ")
		n, _ := strconv.ParseUint(u, 10, 32)
		return uint32(n), nil
	}
	return 0, nil
}

// Expunge removes the messages flagged \Deleted.
func (c *Client) Expunge() error {
	_, err := c.cmd("EXPUNGE", nil)
	return err
}

// Idle runs IDLE (RFC 2177) until stop returns true for an untagged
// response or ctx ends, then sends DONE.
func (c *Client) Idle(ctx context.Context, stop func(*Response) bool) error {
	c.n++
	tag := "c" + strconv.Itoa(c.n)
	c.nc.SetDeadline(time.Time{})
	if _, err := c.nc.Write([]byte(tag + " IDLE\r\n")); err != nil {
		return err
	}
	r, err := c.d.ReadResponse()
	if err != nil {
		return err
	}
	if r.Tag != "+" {
		return &StatusError{Command: "IDLE", Status: "NO", Text: r.Text}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			c.nc.SetReadDeadline(time.Now())
		case <-done:
		}
	}()
	for {
		r, err := c.d.ReadResponse()
		if err != nil {
			if ctx.Err() == nil {
				return err
			}
			break // the deadline ended the read: ctx is done
		}
		if stop(r) {
			break
		}
	}
	c.nc.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.nc.Write([]byte("DONE\r\n")); err != nil {
		return err
	}
	_, err = c.wait(tag, "IDLE", nil)
	return err
}

// Logout ends the session and closes the connection.
func (c *Client) Logout() error {
	_, err := c.cmd("LOGOUT", nil)
	c.nc.Close()
	return err
}

// Close closes the connection without LOGOUT.
func (c *Client) Close() error { return c.nc.Close() }
