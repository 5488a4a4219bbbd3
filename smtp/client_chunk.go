package smtp

import (
	"bytes"
	"context"
	"io"
	"strconv"
)

// clientChunkSize is the BDAT chunk size the Client sends.
const clientChunkSize = 64 << 10

// checkCRLF reports whether every CR in p is followed by LF and every LF
// is preceded by CR; *prevCR carries a CR at the end of p over to the
// next call.
func checkCRLF(p []byte, prevCR *bool) bool {
	if len(p) == 0 {
		return true
	}
	if *prevCR {
		if p[0] != '\n' {
			return false
		}
		p = p[1:]
		*prevCR = false
	} else if p[0] == '\n' {
		return false
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\r')
		j := bytes.IndexByte(p, '\n')
		if i < 0 {
			return j < 0
		}
		if j >= 0 && j < i {
			return false
		}
		if i == len(p)-1 {
			*prevCR = true
			return true
		}
		if p[i+1] != '\n' {
			return false
		}
		p = p[i+2:]
	}
	return true
}

// appendNormalized appends p to dst with every bare CR and bare LF turned
// into CRLF.
func appendNormalized(dst, p []byte, prevCR *bool) []byte {
	for _, b := range p {
		if *prevCR {
			*prevCR = false
			if b == '\n' {
				dst = append(dst, '\n')
				continue
			}
			dst = append(dst, '\n')
		}
		switch b {
		case '\r':
			dst = append(dst, '\r')
			*prevCR = true
		case '\n':
			dst = append(dst, '\r', '\n')
		default:
			dst = append(dst, b)
		}
	}
	return dst
}

// nextChunk reads the next BDAT chunk of msg, checked (or normalised) for
// CRLF line endings. The chunk is valid until the next call.
func (c *Client) nextChunk(msg io.Reader, prevCR *bool, normalize bool) ([]byte, bool, error) {
	if len(c.chunkBuf) < clientChunkSize {
		c.chunkBuf = make([]byte, clientChunkSize)
	}
	n, err := io.ReadFull(msg, c.chunkBuf[:clientChunkSize])
	eof := false
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		eof = true
	default:
		return nil, false, err
	}
	raw := c.chunkBuf[:n]
	if !normalize {
		if !checkCRLF(raw, prevCR) || eof && *prevCR {
			return nil, false, ErrBareLineEnding
		}
		return raw, eof, nil
	}
	out := appendNormalized(c.chunkOut[:0], raw, prevCR)
	if eof && *prevCR {
		out = append(out, '\n')
		*prevCR = false
	}
	c.chunkOut = out
	return out, eof, nil
}

// sendChunks sends the message as BDAT chunks after MAIL and RCPT, all
// pipelined (RFC 3030 4.2), and reads the replies.
func (c *Client) sendChunks(ctx context.Context, st *sendState, msg io.Reader, chunk []byte, eof bool, prevCR *bool, normalize bool) (*SendResult, error) {
	dataTimeout := c.timeout(c.cfg.Timeouts.DataBlock, DefaultDataBlockTimeout)
	c.wctx, c.wblock = ctx, dataTimeout
	defer func() { c.wctx, c.wblock = nil, 0 }()
	for {
		c.buf = append(c.buf[:0], "BDAT "...)
		c.buf = strconv.AppendInt(c.buf, int64(len(chunk)), 10)
		kind := kindChunk
		if eof {
			c.buf = append(c.buf, " LAST"...)
			kind = kindFinal
		}
		c.buf = append(c.buf, "\r\n"...)
		c.bw.Write(c.buf)
		c.bw.Write(chunk)
		c.pending = append(c.pending, pendingReply{kind: kind})
		if eof {
			break
		}
		if err := c.window(ctx, st, true, dataTimeout); err != nil {
			return st.res, err
		}
		var err error
		chunk, eof, err = c.nextChunk(msg, prevCR, normalize)
		if err != nil {
			// The chunks sent so far are abandoned: read their replies
			// and RSET, which leaves the connection usable.
			if derr := c.drain(ctx, st, dataTimeout); derr != nil {
				return st.res, derr
			}
			if st.mailErr == nil {
				c.bw.WriteString("RSET\r\n")
				c.pending = append(c.pending, pendingReply{kind: kindReset})
				if derr := c.drain(ctx, st, dataTimeout); derr != nil {
					return st.res, derr
				}
			}
			for i := range st.res.Recipients {
				if st.res.Recipients[i].Err == nil {
					st.res.Recipients[i].Err = err
				}
			}
			return st.res, err
		}
	}
	if err := c.drain(ctx, st, c.timeout(c.cfg.Timeouts.DataTerm, DefaultDataTermTimeout)); err != nil {
		return st.res, err
	}
	if st.mailErr != nil || st.accepted == 0 {
		return st.res, c.abort(ctx, st)
	}
	return c.finish(st)
}
