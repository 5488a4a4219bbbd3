package smtp

import (
	"io"
)

// errBDATAborted is what a Session's reader returns when the client sent
// another command where the next BDAT chunk was expected.
const errBDATAborted = sentinel("smtp: BDAT transaction aborted by another command")

// bdatReader presents the chunks of a BDAT transaction (RFC 3030) as one
// stream. When a chunk is used up and was not the LAST, it acknowledges
// it and reads the next command itself, so the Session's Data runs across
// several commands without a goroutine. Like DataReader it refuses bare CR
// and bare LF (a message accepted by this server always has CRLF line
// endings, whichever command carried it) and enforces the size limit.
type bdatReader struct {
	c         *Conn
	remaining int64 // octets of the current chunk not yet read
	last      bool  // the current chunk is LAST
	ended     bool  // the LAST chunk has been read completely
	aborted   bool  // another command arrived; c.pending holds it
	size      int64
	prevCR    bool
	err       error
}

// parseBDAT parses "BDAT" SP chunk-size [ SP end-marker ] (RFC 3030 3).
func parseBDAT(arg []byte) (size int64, last, ok bool) {
	i := 0
	for i < len(arg) && arg[i] != ' ' {
		i++
	}
	size, ok = parseDecimal(arg[:i], 18)
	if !ok {
		return 0, false, false
	}
	rest := trimSpace(arg[i:])
	switch {
	case len(rest) == 0:
		return size, false, true
	case equalFold(rest, "LAST"):
		return size, true, true
	}
	return 0, false, false
}

func (b *bdatReader) Read(p []byte) (int, error) {
	for b.remaining == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.last {
			b.ended = true
			if b.prevCR {
				b.err = ErrBareLineEnding
				return 0, b.err
			}
			return 0, io.EOF
		}
		if err := b.nextChunk(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.c.br.Read(p)
	b.remaining -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return 0, err
	}
	if !b.checkEndings(p[:n]) {
		b.err = ErrBareLineEnding
		return 0, b.err
	}
	b.size += int64(n)
	if max := b.c.srv.maxMessage(); max > 0 && b.size > max {
		b.err = ErrMessageTooLarge
		return 0, b.err
	}
	return n, nil
}

// checkEndings reports whether every CR in p is followed by LF and every
// LF preceded by CR, across calls.
func (b *bdatReader) checkEndings(p []byte) bool { return checkCRLF(p, &b.prevCR) }

// nextChunk acknowledges the chunk just read and reads the next command,
// which must be BDAT.
func (b *bdatReader) nextChunk() error {
	c := b.c
	c.bw.WriteString("250 2.0.0 Chunk received\r\n")
	c.rd.rolling = 0
	c.rd.startCommand()
	line, err := c.readCommand(maxAuthLine + 2)
	c.rd.rolling = c.srv.dataTimeout()
	if err != nil {
		return err
	}
	cmd, perr := c.parser.Parse(line)
	if perr == nil && cmd.Verb == VerbBDAT {
		if size, last, ok := parseBDAT(cmd.Arg); ok {
			b.remaining, b.last = size, last
			return nil
		}
	}
	// Not a chunk: keep the line for the command loop.
	c.pending = append(c.pending[:0], line...)
	b.aborted = true
	return errBDATAborted
}

// discard reads and drops n octets of chunk data. A refused chunk larger
// than abandonLimit is not read: the
// connection is closed instead of spending that much on a refused chunk.
func (c *Conn) discard(n int64) error {
	if limit := c.srv.abandonLimit(); limit > 0 && n > limit {
		c.bw.WriteString("552 5.3.4 Chunk too large, closing connection\r\n")
		return ErrMessageTooLarge
	}
	_, err := io.CopyN(io.Discard, c.br, n)
	return err
}

func (c *Conn) handleBDAT(arg []byte) {
	size, last, ok := parseBDAT(arg)
	if !ok {
		// The chunk size is unknown, so the stream cannot be resynchronised:
		// the bytes that follow will be read as commands (RFC 3030 has no
		// better answer).
		c.bw.WriteString("501 5.5.4 Syntax: BDAT <size> [LAST]\r\n")
		return
	}
	c.setInData(true)
	defer c.setInData(false)
	if c.bdatFailed || !c.inTx || c.rcpts == 0 {
		// RFC 3030 3: the chunk is read and discarded even when the
		// command is refused, so the session stays in sync.
		if err := c.discard(size); err != nil {
			c.quit = true
			return
		}
		switch {
		case c.bdatFailed:
			c.bw.WriteString("503 5.5.1 Previous BDAT failed, send RSET\r\n")
		default:
			c.checkDataStart()
		}
		if last && c.inTx {
			c.resetTx()
		}
		return
	}
	if max := c.srv.maxMessage(); max > 0 && size > max {
		c.bdatFailed = true
		if err := c.discard(size); err != nil {
			c.quit = true
			return
		}
		c.bw.WriteString("552 5.3.4 Message size exceeds fixed maximum message size\r\n")
		if last {
			c.resetTx()
		}
		return
	}
	b := &c.bd
	*b = bdatReader{c: c, remaining: size, last: last}
	err := c.deliver(b)
	if err == nil && !b.ended && b.err == nil {
		// The session returned before the end: read on to the end.
		_, err = io.Copy(io.Discard, b)
	}
	switch {
	case b.aborted:
		// Another command came instead of a chunk: the message is
		// abandoned and that command runs next.
		c.resetTx()
		return
	case b.ended && b.err == nil:
		c.finishData(err, nil)
		return
	}
	// Failure before the end of the LAST chunk: drop the rest of the
	// current chunk, answer it, and refuse further chunks until LAST.
	if b.remaining > 0 {
		if derr := c.discard(b.remaining); derr != nil {
			c.quit = true
			return
		}
	}
	derr := b.err
	if derr == errBDATAborted {
		derr = nil
	}
	if derr != nil && !isDataVerdict(derr) {
		c.quit = true
		return
	}
	n := 1
	if c.srv.LMTP && b.last {
		n = c.rcpts
	}
	for range n {
		if derr != nil {
			c.replyDataError(derr)
		} else {
			c.replyError(err, 451, EnhancedCode{4, 3, 0}, "Requested action aborted: local error in processing")
		}
	}
	if b.last {
		c.resetTx()
	} else {
		c.bdatFailed = true
	}
}

func isDataVerdict(err error) bool {
	return err == ErrBareLineEnding || err == ErrMessageTooLarge || err == ErrLineTooLong
}
