package imap

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func parse(t *testing.T, line string) (*Command, error) {
	t.Helper()
	d := NewDecoder(bufio.NewReader(strings.NewReader(line)))
	d.Continue = func(int64) error { return nil }
	return d.ReadCommand()
}

var cmpCommand = cmpopts.IgnoreFields(Command{}, "Literal")

func TestReadCommand(t *testing.T) {
	tests := []struct {
		line string
		want Command
	}{
		{"a1 CAPABILITY\r\n", Command{Tag: "a1", Name: "CAPABILITY"}},
		{"a2 login bob \"p\\\"w\"\r\n", Command{Tag: "a2", Name: "LOGIN", User: "bob", Password: `p"w`}},
		{"a3 LOGIN {3}\r\nbob {2+}\r\npw\r\n", Command{Tag: "a3", Name: "LOGIN", User: "bob", Password: "pw"}},
		{"a4 AUTHENTICATE plain AGJvYgBwdw==\r\n", Command{Tag: "a4", Name: "AUTHENTICATE", Mechanism: "PLAIN", HasInitial: true, InitialResponse: "AGJvYgBwdw=="}},
		{"a5 SELECT INBOX (CONDSTORE)\r\n", Command{Tag: "a5", Name: "SELECT", Mailbox: "INBOX", Params: []string{"CONDSTORE"}}},
		{"a6 UID FETCH 1:*,7 (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BINARY[1.2] UID) (CHANGEDSINCE 12345)\r\n", Command{
			Tag: "a6", Name: "FETCH", UID: true,
			Seq: SeqSet{Ranges: []Range{{1, Star}, {7, 7}}},
			Fetch: []FetchItem{
				{Kind: FetchFlags},
				{Kind: FetchBodySection, Peek: true, Section: Section{Text: SectionHeaderFields, Fields: []string{"From", "To"}}, HasPartial: true, Offset: 0, Count: 100},
				{Kind: FetchBinary, Section: Section{Part: []int{1, 2}}},
				{Kind: FetchUID},
			},
			ChangedSince: 12345,
		}},
		{"a7 FETCH 4:2 FAST\r\n", Command{Tag: "a7", Name: "FETCH", Seq: SeqSet{Ranges: []Range{{2, 4}}},
			Fetch: []FetchItem{{Kind: FetchFlags}, {Kind: FetchInternalDate}, {Kind: FetchRFC822Size}}}},
		{"a8 FETCH 1 BODY[1.MIME]\r\n", Command{Tag: "a8", Name: "FETCH", Seq: SeqSet{Ranges: []Range{{1, 1}}},
			Fetch: []FetchItem{{Kind: FetchBodySection, Section: Section{Part: []int{1}, Text: SectionMIME}}}}},
		{"a9 STORE 1:3 +FLAGS.SILENT (\\Seen $Junk)\r\n", Command{Tag: "a9", Name: "STORE", Seq: SeqSet{Ranges: []Range{{1, 3}}},
			StoreOp: StoreAdd, Silent: true, Flags: []string{`\Seen`, "$Junk"}}},
		{"b1 UID STORE 5 (UNCHANGEDSINCE 9) -FLAGS \\Deleted\r\n", Command{Tag: "b1", Name: "STORE", UID: true, Seq: SeqSet{Ranges: []Range{{5, 5}}},
			StoreOp: StoreRemove, Flags: []string{`\Deleted`}, UnchangedSince: 9, HasUnchanged: true}},
		{"b2 SEARCH RETURN (MIN COUNT) CHARSET utf-8 UNSEEN OR FROM alice (SUBJECT \"hi there\" SINCE 1-Feb-2024) UID 1:5\r\n", Command{
			Tag: "b2", Name: "SEARCH", HasReturn: true, SearchReturn: []string{"MIN", "COUNT"}, Charset: "UTF-8",
			Search: SearchKey{Op: SearchAnd, Keys: []SearchKey{
				{Op: SearchUnseen},
				{Op: SearchOr, Keys: []SearchKey{
					{Op: SearchFrom, Value: "alice"},
					{Op: SearchAnd, Keys: []SearchKey{{Op: SearchSubject, Value: "hi there"}, {Op: SearchSince, Date: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}}},
				}},
				{Op: SearchUID, Seq: SeqSet{Ranges: []Range{{1, 5}}}},
			}},
		}},
		{"b3 search all\r\n", Command{Tag: "b3", Name: "SEARCH", Search: SearchKey{Op: SearchAnd, Keys: []SearchKey{{Op: SearchAll}}}}},
		{"b4 SEARCH 2:* NOT DELETED HEADER X-Spam yes LARGER 1000\r\n", Command{Tag: "b4", Name: "SEARCH", Search: SearchKey{Op: SearchAnd, Keys: []SearchKey{
			{Op: SearchSeq, Seq: SeqSet{Ranges: []Range{{2, Star}}}},
			{Op: SearchNot, Keys: []SearchKey{{Op: SearchDeleted}}},
			{Op: SearchHeader, Field: "X-Spam", Value: "yes"},
			{Op: SearchLarger, Number: 1000},
		}}}},
		{"b5 LIST \"\" *\r\n", Command{Tag: "b5", Name: "LIST", Reference: "", Patterns: []string{"*"}}},
		{"b6 LIST (SUBSCRIBED) \"\" (INBOX %) RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))\r\n", Command{Tag: "b6", Name: "LIST",
			Patterns: []string{"INBOX", "%"},
			List:     ListOptions{Select: []string{"SUBSCRIBED"}, Return: []string{"SPECIAL-USE", "STATUS"}, ReturnStatus: []string{"MESSAGES", "UNSEEN"}}}},
		{"b7 STATUS Sent (MESSAGES UIDNEXT)\r\n", Command{Tag: "b7", Name: "STATUS", Mailbox: "Sent", StatusItems: []string{"MESSAGES", "UIDNEXT"}}},
		{"b8 RENAME a \"b c\"\r\n", Command{Tag: "b8", Name: "RENAME", Mailbox: "a", NewName: "b c"}},
		{"b9 UID MOVE 1,3:4 Trash\r\n", Command{Tag: "b9", Name: "MOVE", UID: true, Seq: SeqSet{Ranges: []Range{{1, 1}, {3, 4}}}, Mailbox: "Trash"}},
		{"c1 ENABLE IMAP4rev2 condstore\r\n", Command{Tag: "c1", Name: "ENABLE", Capabilities: []string{"IMAP4REV2", "CONDSTORE"}}},
		{"c2 ID (\"name\" \"mutt\" \"version\" NIL)\r\n", Command{Tag: "c2", Name: "ID", Params: []string{"name", "mutt", "version", ""}}},
		{"c3 ID NIL\r\n", Command{Tag: "c3", Name: "ID", IDNil: true}},
		{"c4 UID EXPUNGE 3:5\r\n", Command{Tag: "c4", Name: "EXPUNGE", UID: true, Seq: SeqSet{Ranges: []Range{{3, 5}}}}},
		{"c5 SEARCH MODSEQ 620162338\r\n", Command{Tag: "c5", Name: "SEARCH", Search: SearchKey{Op: SearchAnd, Keys: []SearchKey{{Op: SearchModSeq, Number: 620162338}}}}},
		{"c6 FETCH $ (UID)\r\n", Command{Tag: "c6", Name: "FETCH", Seq: SeqSet{Saved: true}, Fetch: []FetchItem{{Kind: FetchUID}}}},
	}
	for _, tt := range tests {
		got, err := parse(t, tt.line)
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(&tt.want, got, cmpCommand); diff != "" {
			t.Errorf("%q: -want +got\n%s", tt.line, diff)
		}
	}
}

func TestReadCommandErrors(t *testing.T) {
	deep := "z SEARCH " + strings.Repeat("NOT ", 40) + "ALL\r\n"
	many := "z FETCH " + strings.Repeat("1,", 20000) + "1 FLAGS\r\n"
	tests := []struct {
		line string
		want error
	}{
		{"a1 FROB\r\n", ErrUnknownCommand},
		{"a1 UID LOGIN x y\r\n", ErrUnknownCommand},
		{"a1 FETCH 0 FLAGS\r\n", ErrSyntax},
		{"a1 FETCH 1 BODY[1.]\r\n", ErrSyntax},
		{"a1 FETCH 1 BODY[MIME]\r\n", ErrSyntax},
		{"a1 FETCH 1 BODY[]<0.0>\r\n", ErrSyntax},
		{"a1 LOGIN \"a\rb\" c\r\n", ErrSyntax},
		{"a1 LOGIN \"\xff\" c\r\n", ErrSyntax},
		{"a1 SEARCH SINCE 31-Feb-2024\r\n", ErrSyntax},
		{"a1 LOGIN {99999999}\r\n", ErrLiteralTooLarge},
		{deep, ErrTooComplex},
		{many, ErrTooComplex},
		{"a1 NOOP\n", ErrSyntax},
		{"a1 NOOP extra\r\n", ErrSyntax},
		{"a1 FETCH 99999999999 FLAGS\r\n", ErrSyntax},
		{"a1 LOGIN x\r\n", ErrSyntax},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.line)
		if !errors.Is(err, tt.want) {
			t.Errorf("%.40q: got %v, want %v", tt.line, err, tt.want)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("%.40q: %v is not a *SyntaxError", tt.line, err)
		}
	}
	if _, err := parse(t, "a1 NOOP"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: got %v", err)
	}
}

func TestLineLimit(t *testing.T) {
	d := NewDecoder(bufio.NewReader(strings.NewReader("a LOGIN " + strings.Repeat("x", 200) + " y\r\n")))
	d.Limits.MaxLine = 100
	if _, err := d.ReadCommand(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("got %v, want ErrLineTooLong", err)
	}
}

// TestContinue checks that a synchronizing literal asks for the octets
// and a non-synchronizing one does not (RFC 9051 4.3, RFC 7888).
func TestContinue(t *testing.T) {
	d := NewDecoder(bufio.NewReader(strings.NewReader("a LOGIN {3}\r\nbob {2+}\r\npw\r\n")))
	var asked []int64
	d.Continue = func(n int64) error { asked = append(asked, n); return nil }
	if _, err := d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{3}, asked); diff != "" {
		t.Error(diff)
	}
}

// TestSkipCommand checks resynchronisation after errors: a refused
// synchronizing literal (the client sends nothing more), a refused
// non-synchronizing literal (its octets follow anyway), and a bad line.
func TestSkipCommand(t *testing.T) {
	in := "a FROB x\r\n" +
		"b LOGIN {5000}\r\n" +
		"c LOGIN {5000+}\r\n" + strings.Repeat("x", 5000) + " y\r\n" +
		"d FROB {3+}\r\nabc more\r\n" +
		"e NOOP\r\n"
	d := NewDecoder(bufio.NewReader(strings.NewReader(in)))
	d.Limits.MaxLiteral = 100
	d.Continue = func(int64) error { return nil }
	var tags []string
	for {
		cmd, err := d.ReadCommand()
		if err == nil {
			tags = append(tags, cmd.Tag+" ok")
			break
		}
		tags = append(tags, cmd.Tag+" err")
		if err := d.SkipCommand(); err != nil {
			t.Fatalf("skip after %s: %v", cmd.Tag, err)
		}
	}
	want := []string{"a err", "b err", "c err", "d err", "e ok"}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Error(diff)
	}
}

// TestAppendStreams checks that APPEND's message literal is read from the
// connection as a stream and the command ends after it.
func TestAppendStreams(t *testing.T) {
	msg := "From: a@b\r\n\r\nhello\r\n"
	in := "a APPEND Sent (\\Seen) \" 5-Mar-2024 10:11:12 +0100\" {" + itoa(len(msg)) + "}\r\n" + msg + "\r\nb NOOP\r\n"
	d := NewDecoder(bufio.NewReader(strings.NewReader(in)))
	cont := 0
	d.Continue = func(int64) error { cont++; return nil }
	cmd, err := d.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(cmd.Literal)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.EndAppend(); err != nil {
		t.Fatal(err)
	}
	want := Command{Tag: "a", Name: "APPEND", Mailbox: "Sent", Flags: []string{`\Seen`},
		Date: time.Date(2024, 3, 5, 10, 11, 12, 0, time.FixedZone("", 3600)), Size: int64(len(msg))}
	if diff := cmp.Diff(&want, cmd, cmpCommand, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Error(diff)
	}
	if string(body) != msg || cont != 1 {
		t.Errorf("body %q, continuations %d", body, cont)
	}
	if cmd, err := d.ReadCommand(); err != nil || cmd.Name != "NOOP" {
		t.Fatalf("next command: %v %v", cmd, err)
	}
}

func itoa(n int) string { return string(AppendNumber(nil, uint64(n))) }

func TestAppendString(t *testing.T) {
	tests := []struct {
		in   string
		utf8 bool
		want string
	}{
		{"INBOX", false, `"INBOX"`},
		{`a"b\c`, false, `"a\"b\\c"`},
		{"a\r\nb", false, "{4}\r\na\r\nb"},
		{"café", false, "{5}\r\ncafé"},
		{"café", true, `"café"`},
	}
	for _, tt := range tests {
		if got := string(AppendString(nil, tt.in, tt.utf8)); got != tt.want {
			t.Errorf("AppendString(%q, %v) = %q, want %q", tt.in, tt.utf8, got, tt.want)
		}
	}
	astr := []struct{ in, want string }{{"INBOX", "INBOX"}, {"nil", `"nil"`}, {"", `""`}, {"a b", `"a b"`}, {"a]", "a]"}}
	for _, tt := range astr {
		if got := string(AppendAstring(nil, tt.in, false)); got != tt.want {
			t.Errorf("AppendAstring(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStringRoundTrip: whatever AppendString writes, the Decoder reads
// back as the same value.
func TestStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "x", `"\`, "a\r\nb\x00", "ünï", strings.Repeat("y", 2000)} {
		for _, u := range []bool{false, true} {
			line := "t LOGIN " + string(AppendAstring(nil, s, u)) + " " + string(AppendString(nil, s, u)) + "\r\n"
			cmd, err := parse(t, line)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			if cmd.User != s || cmd.Password != s {
				t.Errorf("%q: read back %q, %q", s, cmd.User, cmd.Password)
			}
		}
	}
}

func TestSeqSetContains(t *testing.T) {
	s := SeqSet{Ranges: []Range{{2, 4}, {9, Star}}}
	for n, want := range map[uint32]bool{1: false, 2: true, 4: true, 5: false, 9: true, 12: true} {
		if got := s.Contains(n, 12); got != want {
			t.Errorf("Contains(%d) = %v", n, got)
		}
	}
	if got := s.String(); got != "2:4,9:*" {
		t.Errorf("String = %q", got)
	}
}
