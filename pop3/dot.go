package pop3

import (
	"bufio"
	"bytes"
	"io"
)

// writeMessage copies the message in r to w as a multi-line response
// body (RFC 1939 3): every line ending becomes CRLF, a line that starts
// with "." gets another in front (byte-stuffing), and the response ends
// with ".". With bodyLines >= 0 only the header, the empty line and that
// many body lines are sent (TOP, RFC 1939 7).
func writeMessage(w *bufio.Writer, r *bufio.Reader, bodyLines int) error {
	lineStart := true
	inBody := false
	sentBody := 0
	for {
		if bodyLines >= 0 && inBody && sentBody >= bodyLines && lineStart {
			break
		}
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > 0 {
			if lineStart && chunk[0] == '.' {
				w.WriteByte('.')
			}
			complete := chunk[len(chunk)-1] == '\n'
			content := chunk
			if complete {
				content = chunk[:len(chunk)-1]
				if n := len(content); n > 0 && content[n-1] == '\r' {
					content = content[:n-1]
				}
			}
			if lineStart && complete && len(content) == 0 && !inBody {
				// The empty line between header and body.
				inBody = true
				w.WriteString("\r\n")
				lineStart = true
			} else {
				w.Write(content)
				if complete {
					w.WriteString("\r\n")
					if inBody {
						sentBody++
					}
				}
				lineStart = complete
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
	}
	if !lineStart {
		w.WriteString("\r\n")
	}
	_, err := w.WriteString(".\r\n")
	return err
}

// DotReader returns a reader of a multi-line response body from r: it
// removes the byte-stuffing and stops at the terminating "." line
// (which it consumes). Line endings are passed through as sent (CRLF).
func DotReader(r *bufio.Reader) io.Reader { return &dotReader{r: r, lineStart: true} }

type dotReader struct {
	r         *bufio.Reader
	lineStart bool
	done      bool
	pending   []byte
}

func (d *dotReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.done {
			return 0, io.EOF
		}
		chunk, err := d.r.ReadSlice('\n')
		if err == io.EOF && len(chunk) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return 0, err
		}
		if d.lineStart && len(chunk) > 0 && chunk[0] == '.' {
			if bytes.Equal(chunk, []byte(".\r\n")) || bytes.Equal(chunk, []byte(".\n")) {
				d.done = true
				return 0, io.EOF
			}
			chunk = chunk[1:]
		}
		d.lineStart = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if err == io.EOF {
			if len(chunk) == 0 {
				return 0, io.ErrUnexpectedEOF
			}
		}
		d.pending = chunk
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}
