package mime

import (
	"bytes"
	"io"
)

// A Tree is the parsed MIME structure of a message: the message part,
// which holds the others, and the defects found on the way (each a
// *PartError; see Walker).
type Tree struct {
	Root     *Part
	Problems []error
}

// Parse reads the MIME tree of msg (RFC 2045, RFC 2046). The parts'
// offsets index msg, so Part.Body(msg) and Part.RawHeader(msg) return
// slices of it without copying. cfg may be nil. Broken input is read
// leniently (see Walker) and reported in Tree.Problems; the error is a
// *PartError wrapping ErrTooDeep, ErrTooManyParts or ErrHeaderTooLarge
// when a limit is reached.
func Parse(msg []byte, cfg *Config) (*Tree, error) {
	return parse(bytes.NewReader(msg), cfg)
}

// ParseReaderAt reads the MIME tree of the size octets of r, a message
// in a file for instance, in constant memory besides the tree itself;
// Part.Open reads a part's body from r afterwards.
func ParseReaderAt(r io.ReaderAt, size int64, cfg *Config) (*Tree, error) {
	return parse(io.NewSectionReader(r, 0, size), cfg)
}

func parse(r io.Reader, cfg *Config) (*Tree, error) {
	return NewWalker(r, cfg).Tree()
}

// Tree walks what is left of the message and returns its whole tree, as
// Parse does, with the same errors. After Reset it parses the next
// message with the Walker's read buffer: a server parsing many messages
// in turn allocates the buffer once, where Parse allocates one per
// message.
func (w *Walker) Tree() (*Tree, error) {
	for {
		_, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return &Tree{Root: w.Root(), Problems: w.Problems()}, nil
}
