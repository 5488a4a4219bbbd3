package pop3

import (
	"bytes"
)

// MaxCommandLine is the longest command line, CRLF included (RFC 2449
// 4: 255 octets).
const MaxCommandLine = 255

// Command is a parsed POP3 command line.
type Command struct {
	// Name is the keyword in upper case ("RETR").
	Name string
	// Args are the arguments split at single spaces; for PASS the whole
	// rest of the line is one argument, since passwords may hold spaces.
	Args []string
}

// ParseCommand parses one command line (without its line ending).
// RFC 1939 3: a keyword of three or four printable characters, then
// arguments separated by single spaces, each up to 40 characters (PASS
// excepted, its argument being the rest of the line). Arguments over 40
// characters are accepted up to the line limit (RFC 2449 4 raised it to
// 255 for the whole line).
func ParseCommand(line []byte) (Command, error) {
	if len(line) > MaxCommandLine-2 {
		return Command{}, ErrLineTooLong
	}
	for _, c := range line {
		if c < 0x20 || c == 0x7f {
			return Command{}, ErrCommandSyntax
		}
	}
	kw, rest, has := bytes.Cut(line, []byte{' '})
	if len(kw) < 3 || len(kw) > 4 {
		return Command{}, ErrCommandSyntax
	}
	name := make([]byte, len(kw))
	for i, c := range kw {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			return Command{}, ErrCommandSyntax
		}
		name[i] = c
	}
	cmd := Command{Name: knownName(name)}
	if !has {
		return cmd, nil
	}
	if cmd.Name == "PASS" {
		cmd.Args = []string{string(rest)}
		return cmd, nil
	}
	for _, a := range bytes.Split(rest, []byte{' '}) {
		if len(a) == 0 {
			return Command{}, ErrCommandSyntax
		}
		cmd.Args = append(cmd.Args, string(a))
	}
	return cmd, nil
}

// knownName returns the interned name of a command keyword, avoiding an
// allocation for the commands the server knows.
func knownName(b []byte) string {
	for _, k := range [...]string{"USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT", "TOP", "UIDL", "CAPA", "STLS", "AUTH"} {
		if string(b) == k {
			return k
		}
	}
	return string(b)
}

// String formats the command as it is sent, without line ending.
func (c Command) String() string {
	var b bytes.Buffer
	b.WriteString(c.Name)
	for _, a := range c.Args {
		b.WriteByte(' ')
		b.WriteString(a)
	}
	return b.String()
}
