package dnswire

import (
	"io"
)

// ReadTCP reads one message framed with the 2-octet length prefix of
// RFC 1035 4.2.2 from r. It reads into buf's spare capacity when it is
// large enough (so a reused buffer means no allocation); otherwise it
// grows a buffer as bytes arrive, never allocating what the prefix merely
// claims. A clean EOF before the prefix returns io.EOF; EOF inside the
// frame returns io.ErrUnexpectedEOF. A zero length frame is ErrTruncated.
func ReadTCP(r io.Reader, buf []byte) ([]byte, error) {
	var pfx [2]byte
	if _, err := io.ReadFull(r, pfx[:]); err != nil {
		return nil, err
	}
	n := int(be16(pfx[:]))
	if n == 0 {
		return nil, ErrTruncated
	}
	if cap(buf) >= n {
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, unexpected(err)
		}
		return buf, nil
	}
	// Do not trust the prefix with a big allocation: grow with the bytes
	// that actually arrive.
	buf = buf[:0]
	for len(buf) < n {
		chunk := min(n-len(buf), max(512, len(buf)))
		buf = append(buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(r, buf[len(buf)-chunk:]); err != nil {
			return nil, unexpected(err)
		}
	}
	return buf, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// WriteTCP writes msg to w with its 2-octet length prefix (RFC 1035 4.2.2)
// in a single Write, so the prefix and message leave in one segment
// (RFC 7766 8). It allocates a buffer of len(msg)+2; build with
// BuildOptions.TCP to avoid that.
func WriteTCP(w io.Writer, msg []byte) error {
	if len(msg) > 0xFFFF {
		return ErrMessageTooLarge
	}
	b := make([]byte, 2, 2+len(msg))
	put16(b, uint16(len(msg)))
	_, err := w.Write(append(b, msg...))
	return err
}

// AppendTCP appends msg with its 2-octet length prefix to dst.
func AppendTCP(dst, msg []byte) ([]byte, error) {
	if len(msg) > 0xFFFF {
		return dst, ErrMessageTooLarge
	}
	dst = app16(dst, uint16(len(msg)))
	return append(dst, msg...), nil
}
