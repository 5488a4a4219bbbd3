package imap

import (
	"io"
	"time"
)

// StoreOp is how STORE changes flags (RFC 9051 6.4.6).
type StoreOp uint8

// Store operations.
const (
	StoreReplace StoreOp = iota // FLAGS
	StoreAdd                    // +FLAGS
	StoreRemove                 // -FLAGS
)

// ListOptions are LIST's extended selection and return options (RFC 5258,
// RFC 6154 SPECIAL-USE, RFC 5819 STATUS), upper-cased. ReturnStatus holds
// the STATUS items of RETURN (STATUS (...)).
type ListOptions struct {
	Select       []string
	Return       []string
	ReturnStatus []string
}

// Command is one parsed command. Tag and Name are always set (Name upper
// case, "FETCH" for UID FETCH with UID true); the other fields are those
// of the command named, as listed on each.
type Command struct {
	Tag  string
	Name string
	UID  bool // UID FETCH, UID STORE, UID COPY, UID MOVE, UID SEARCH, UID EXPUNGE

	// Mailbox: SELECT, EXAMINE, CREATE, DELETE, RENAME (source),
	// SUBSCRIBE, UNSUBSCRIBE, STATUS, APPEND, COPY, MOVE (destination),
	// GETQUOTAROOT.
	// Names are as sent; the Server decodes them from modified UTF-7
	// (DecodeMailboxUTF7) for a client that enabled neither IMAP4rev2
	// nor UTF8=ACCEPT, so backends see UTF-8.
	Mailbox string
	NewName string // RENAME

	User, Password string // LOGIN
	Mechanism      string // AUTHENTICATE (upper case)
	// InitialResponse is AUTHENTICATE's SASL-IR (RFC 4959), base64 as
	// sent ("=" for an empty one); HasInitial says whether it was given.
	InitialResponse string
	HasInitial      bool

	Capabilities []string // ENABLE (upper case)

	// Params: SELECT/EXAMINE parameters (upper case, e.g. CONDSTORE),
	// ID's field/value pairs (nil values as "") in order.
	Params []string
	// IDNil is true for "ID NIL".
	IDNil bool

	Seq SeqSet // FETCH, STORE, COPY, MOVE, UID EXPUNGE

	Fetch        []FetchItem // FETCH
	ChangedSince uint64      // FETCH (CHANGEDSINCE n), RFC 7162 3.1.4.1
	Vanished     bool        // UID FETCH (VANISHED), RFC 7162 3.2.6

	StoreOp        StoreOp // STORE
	Silent         bool    // STORE .SILENT
	Flags          []string
	UnchangedSince uint64 // STORE (UNCHANGEDSINCE n), RFC 7162 3.1.3
	HasUnchanged   bool

	Search       SearchKey // SEARCH: an AND node of the keys
	SearchReturn []string  // SEARCH RETURN (...) options, RFC 4731 / RFC 9051 6.4.4
	HasReturn    bool
	Charset      string // SEARCH CHARSET

	Reference string   // LIST, LSUB
	Patterns  []string // LIST, LSUB
	List      ListOptions

	StatusItems []string // STATUS (upper case)

	QuotaRoot string // GETQUOTA (RFC 9208 4.2); GETQUOTAROOT names a Mailbox

	// APPEND: Flags above, Date (zero when not given), and the message:
	// Literal yields exactly Size octets straight from the connection and
	// must be read to EOF; then call Decoder.EndAppend.
	Date    time.Time
	Literal io.Reader
	Size    int64
	Binary  bool // literal8 (RFC 3516 4.4)
}

// ReadCommand reads one command line. On error the caller answers BAD (or
// NO for a refused literal) with the tag when it is known, then calls
// SkipCommand to resynchronise. For APPEND it returns at the message
// literal: read cmd.Literal to EOF, then call EndAppend.
func (d *Decoder) ReadCommand() (*Command, error) {
	d.begin()
	cmd := &Command{}
	var err error
	if cmd.Tag, err = d.Tag(); err != nil {
		return cmd, err
	}
	if err := d.SP(); err != nil {
		return cmd, err
	}
	name, err := d.Atom()
	if err != nil {
		return cmd, err
	}
	cmd.Name = upper(name)
	if cmd.Name == "UID" {
		cmd.UID = true
		if err := d.SP(); err != nil {
			return cmd, err
		}
		if name, err = d.Atom(); err != nil {
			return cmd, err
		}
		cmd.Name = upper(name)
		switch cmd.Name {
		case "FETCH", "STORE", "COPY", "MOVE", "SEARCH", "EXPUNGE":
		default:
			return cmd, d.fail(ErrUnknownCommand, "UID command")
		}
	}
	if err := d.args(cmd); err != nil {
		return cmd, err
	}
	if cmd.Name == "APPEND" {
		return cmd, nil
	}
	return cmd, d.CRLF()
}

// EndAppend reads the end of an APPEND line after its literal.
func (d *Decoder) EndAppend() error {
	d.pending = 0
	return d.CRLF()
}

func (d *Decoder) args(c *Command) error {
	var err error
	switch c.Name {
	case "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "CHECK", "CLOSE",
		"UNSELECT", "IDLE", "NAMESPACE":
		return nil
	case "EXPUNGE":
		if !c.UID {
			return nil
		}
		if err := d.SP(); err != nil {
			return err
		}
		c.Seq, err = d.SeqSet(true)
		return err
	case "LOGIN":
		if c.User, err = d.spAstring(); err != nil {
			return err
		}
		c.Password, err = d.spAstring()
		return err
	case "AUTHENTICATE":
		if err := d.SP(); err != nil {
			return err
		}
		m, err := d.Atom()
		if err != nil {
			return err
		}
		c.Mechanism = upper(m)
		if ok, err := d.accept(' '); err != nil || !ok {
			return err
		}
		c.HasInitial = true
		c.InitialResponse, err = d.run(func(b byte) bool {
			return b == '+' || b == '/' || b == '=' || ('0' <= b && b <= '9') || ('A' <= b && b <= 'Z') || ('a' <= b && b <= 'z')
		}, "base64")
		return err
	case "ENABLE":
		for {
			if err := d.SP(); err != nil {
				return err
			}
			a, err := d.Atom()
			if err != nil {
				return err
			}
			if len(c.Capabilities) >= d.Limits.items() {
				return d.fail(ErrTooComplex, "fewer capabilities")
			}
			c.Capabilities = append(c.Capabilities, upper(a))
			if eol, err := d.AtEOL(); err != nil || eol {
				return err
			}
		}
	case "SELECT", "EXAMINE":
		if c.Mailbox, err = d.spAstring(); err != nil {
			return err
		}
		if ok, err := d.accept(' '); err != nil || !ok {
			return err
		}
		return d.List(false, func() error {
			a, err := d.Atom()
			c.Params = append(c.Params, upper(a))
			if err == nil && upper(a) == "QRESYNC" {
				// RFC 7162 3.2.5: QRESYNC (uidvalidity modseq ...):
				// accepted and ignored here; the server answers as for
				// CONDSTORE.
				if err := d.SP(); err != nil {
					return err
				}
				return d.skipParenthesised()
			}
			return err
		})
	case "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE":
		c.Mailbox, err = d.spAstring()
		if err == nil && c.Name == "CREATE" {
			// RFC 4466 create-params, e.g. (USE (\Sent)): skipped.
			if ok, err := d.accept(' '); err != nil || !ok {
				return err
			}
			return d.skipParenthesised()
		}
		return err
	case "RENAME":
		if c.Mailbox, err = d.spAstring(); err != nil {
			return err
		}
		c.NewName, err = d.spAstring()
		return err
	case "GETQUOTAROOT":
		c.Mailbox, err = d.spAstring()
		return err
	case "GETQUOTA":
		c.QuotaRoot, err = d.spAstring()
		return err
	case "STATUS":
		if c.Mailbox, err = d.spAstring(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		return d.List(false, func() error {
			a, err := d.Atom()
			c.StatusItems = append(c.StatusItems, upper(a))
			return err
		})
	case "LIST", "LSUB":
		return d.listArgs(c)
	case "APPEND":
		return d.appendArgs(c)
	case "FETCH":
		if c.Seq, err = d.spSeqSet(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		if c.Fetch, err = d.FetchItems(); err != nil {
			return err
		}
		if ok, err := d.accept(' '); err != nil || !ok {
			return err
		}
		return d.List(false, func() error {
			a, err := d.Atom()
			if err != nil {
				return err
			}
			switch upper(a) {
			case "CHANGEDSINCE":
				if err := d.SP(); err != nil {
					return err
				}
				c.ChangedSince, err = d.Number64()
				return err
			case "VANISHED":
				c.Vanished = true
				return nil
			}
			return d.syntax("fetch modifier")
		})
	case "STORE":
		return d.storeArgs(c)
	case "COPY", "MOVE":
		if c.Seq, err = d.spSeqSet(); err != nil {
			return err
		}
		c.Mailbox, err = d.spAstring()
		return err
	case "SEARCH":
		return d.searchArgs(c)
	case "ID":
		if err := d.SP(); err != nil {
			return err
		}
		if b, err := d.peek(); err != nil {
			return err
		} else if b != '(' {
			a, err := d.Atom()
			if err == nil && !equalFold(a, "NIL") {
				err = d.syntax("NIL or list")
			}
			c.IDNil = true
			return err
		}
		return d.List(false, func() error {
			k, err := d.String()
			if err != nil {
				return err
			}
			if err := d.SP(); err != nil {
				return err
			}
			v, _, err := d.NString()
			c.Params = append(c.Params, k, v)
			return err
		})
	}
	return d.fail(ErrUnknownCommand, "command")
}

func (d *Decoder) spAstring() (string, error) {
	if err := d.SP(); err != nil {
		return "", err
	}
	return d.Astring()
}

func (d *Decoder) spSeqSet() (SeqSet, error) {
	if err := d.SP(); err != nil {
		return SeqSet{}, err
	}
	return d.SeqSet(true)
}

// skipParenthesised reads a parenthesised list of atoms, strings and
// nested lists whose content the caller ignores.
func (d *Decoder) skipParenthesised() error {
	return d.List(true, func() error {
		b, err := d.peek()
		if err != nil {
			return err
		}
		switch b {
		case '(':
			return d.skipParenthesised()
		case '"', '{':
			_, err = d.String()
		default:
			_, err = d.run(func(c byte) bool { return isAstringChar(c) || c == '\\' }, "atom")
		}
		return err
	})
}

// Flag reads a flag: "\" atom (system and extension flags) or an atom
// (keyword). "\*" is accepted only where star is true (PERMANENTFLAGS).
func (d *Decoder) Flag() (string, error) {
	slash, err := d.accept('\\')
	if err != nil {
		return "", err
	}
	a, err := d.Atom()
	if err != nil {
		return "", err
	}
	if slash {
		return `\` + a, nil
	}
	return a, nil
}

// FlagList reads "(" [flag *(SP flag)] ")".
func (d *Decoder) FlagList() ([]string, error) {
	flags := []string{}
	err := d.List(true, func() error {
		f, err := d.Flag()
		flags = append(flags, f)
		return err
	})
	return flags, err
}

func (d *Decoder) storeArgs(c *Command) error {
	var err error
	if c.Seq, err = d.spSeqSet(); err != nil {
		return err
	}
	if err := d.SP(); err != nil {
		return err
	}
	if ok, err := d.accept('('); err != nil {
		return err
	} else if ok {
		// RFC 7162 3.1.3: (UNCHANGEDSINCE n)
		a, err := d.Atom()
		if err != nil {
			return err
		}
		if upper(a) != "UNCHANGEDSINCE" {
			return d.syntax("UNCHANGEDSINCE")
		}
		if err := d.SP(); err != nil {
			return err
		}
		if c.UnchangedSince, err = d.Number64(); err != nil {
			return err
		}
		c.HasUnchanged = true
		if err := d.expect(')', ")"); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
	}
	if ok, err := d.accept('+'); err != nil {
		return err
	} else if ok {
		c.StoreOp = StoreAdd
	} else if ok, err := d.accept('-'); err != nil {
		return err
	} else if ok {
		c.StoreOp = StoreRemove
	}
	a, err := d.run(func(b byte) bool { return b == '.' || ('A' <= b && b <= 'Z') || ('a' <= b && b <= 'z') }, "FLAGS")
	if err != nil {
		return err
	}
	switch upper(a) {
	case "FLAGS":
	case "FLAGS.SILENT":
		c.Silent = true
	default:
		return d.syntax("FLAGS or FLAGS.SILENT")
	}
	if err := d.SP(); err != nil {
		return err
	}
	if b, err := d.peek(); err != nil {
		return err
	} else if b == '(' {
		c.Flags, err = d.FlagList()
		return err
	}
	for {
		f, err := d.Flag()
		if err != nil {
			return err
		}
		if len(c.Flags) >= d.Limits.items() {
			return d.fail(ErrTooComplex, "fewer flags")
		}
		c.Flags = append(c.Flags, f)
		if ok, err := d.accept(' '); err != nil || !ok {
			return err
		}
	}
}

func (d *Decoder) searchArgs(c *Command) error {
	if err := d.SP(); err != nil {
		return err
	}
	// RFC 9051 6.4.4: [search-return-opts SP] [CHARSET SP charset SP]
	// search-key *(SP search-key). RETURN and CHARSET are atoms that no
	// search key starts with.
	for i := 0; i < 2; i++ {
		word, err := d.peekWord()
		if err != nil {
			return err
		}
		switch upper(word) {
		case "RETURN":
			if c.HasReturn {
				return d.syntax("one RETURN")
			}
			if _, err := d.Atom(); err != nil {
				return err
			}
			if err := d.SP(); err != nil {
				return err
			}
			c.HasReturn = true
			c.SearchReturn = []string{}
			if err := d.List(true, func() error {
				a, err := d.Atom()
				c.SearchReturn = append(c.SearchReturn, upper(a))
				return err
			}); err != nil {
				return err
			}
		case "CHARSET":
			if _, err := d.Atom(); err != nil {
				return err
			}
			if err := d.SP(); err != nil {
				return err
			}
			cs, err := d.Astring()
			if err != nil {
				return err
			}
			c.Charset = upper(cs)
		default:
			i = 2
			continue
		}
		if err := d.SP(); err != nil {
			return err
		}
	}
	var err error
	c.Search, err = d.SearchProgram()
	return err
}

// peekWord returns the letters that come next without consuming them. A
// command line always ends in CRLF, so peeking one octet further at a
// time never waits for input the client has not sent.
func (d *Decoder) peekWord() (string, error) {
	for k := 1; k <= 16; k++ {
		b, err := d.r.Peek(k)
		if err != nil {
			return "", d.ioErr(err)
		}
		c := b[k-1]
		if !('A' <= c && c <= 'Z') && !('a' <= c && c <= 'z') {
			return string(b[:k-1]), nil
		}
	}
	return "", nil
}

func (d *Decoder) listArgs(c *Command) error {
	if err := d.SP(); err != nil {
		return err
	}
	if b, err := d.peek(); err != nil {
		return err
	} else if b == '(' && c.Name == "LIST" {
		// RFC 5258 list-select-opts
		c.List.Select = []string{}
		if err := d.List(true, func() error {
			a, err := d.Atom()
			c.List.Select = append(c.List.Select, upper(a))
			return err
		}); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
	}
	var err error
	if c.Reference, err = d.Astring(); err != nil {
		return err
	}
	if err := d.SP(); err != nil {
		return err
	}
	if b, err := d.peek(); err != nil {
		return err
	} else if b == '(' && c.Name == "LIST" {
		if err := d.List(false, func() error {
			p, err := d.ListMailbox()
			c.Patterns = append(c.Patterns, p)
			return err
		}); err != nil {
			return err
		}
	} else {
		p, err := d.ListMailbox()
		if err != nil {
			return err
		}
		c.Patterns = []string{p}
	}
	if c.Name == "LSUB" {
		return nil
	}
	if ok, err := d.accept(' '); err != nil || !ok {
		return err
	}
	// RFC 5258 list-return-opts: "RETURN" SP "(" [opt *(SP opt)] ")",
	// opt = atom or STATUS (items) (RFC 5819).
	a, err := d.Atom()
	if err != nil {
		return err
	}
	if upper(a) != "RETURN" {
		return d.syntax("RETURN")
	}
	if err := d.SP(); err != nil {
		return err
	}
	c.List.Return = []string{}
	return d.List(true, func() error {
		a, err := d.Atom()
		if err != nil {
			return err
		}
		a = upper(a)
		c.List.Return = append(c.List.Return, a)
		if a == "STATUS" {
			if err := d.SP(); err != nil {
				return err
			}
			return d.List(false, func() error {
				s, err := d.Atom()
				c.List.ReturnStatus = append(c.List.ReturnStatus, upper(s))
				return err
			})
		}
		return nil
	})
}

func (d *Decoder) appendArgs(c *Command) error {
	var err error
	if c.Mailbox, err = d.spAstring(); err != nil {
		return err
	}
	if err := d.SP(); err != nil {
		return err
	}
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b == '(' {
		if c.Flags, err = d.FlagList(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		if b, err = d.peek(); err != nil {
			return err
		}
	}
	if b == '"' {
		if c.Date, err = d.DateTime(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		if b, err = d.peek(); err != nil {
			return err
		}
	}
	c.Binary = b == '~'
	c.Literal, c.Size, err = d.LiteralReader(c.Binary)
	return err
}

// DateTime reads a quoted date-time (RFC 9051 9: "dd-Mon-yyyy hh:mm:ss
// +zzzz", day space-padded or two digits).
func (d *Decoder) DateTime() (time.Time, error) {
	s, err := d.Quoted()
	if err != nil {
		return time.Time{}, err
	}
	t, ok := ParseDateTime(s)
	if !ok {
		return time.Time{}, d.syntax("date-time")
	}
	return t, nil
}

// ParseDateTime parses an IMAP date-time value without its quotes.
func ParseDateTime(s string) (time.Time, bool) {
	if len(s) == 26 && s[0] == ' ' {
		s = "0" + s[1:]
	}
	t, err := time.Parse("02-Jan-2006 15:04:05 -0700", s)
	return t, err == nil
}

// AppendDateTime appends t as a quoted IMAP date-time.
func AppendDateTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, "02-Jan-2006 15:04:05 -0700")
	return append(dst, '"')
}
