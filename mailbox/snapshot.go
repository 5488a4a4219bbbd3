package mailbox

import (
	"context"
	"fmt"
	"io"
)

// Snapshot is a fixed numbered list of a folder's messages, the view a
// POP3 session needs (RFC 1939: message numbers do not change during a
// session). It has the methods of pop3.Maildrop, so a *Snapshot can be
// served by the pop3 package without either package importing the other.
type Snapshot struct {
	f     *Folder
	msgs  []Message
	sizes []int64
	uidls []string
}

// Snapshot syncs the folder and fixes its message list, computing each
// message's CRLF size.
func (f *Folder) Snapshot() (*Snapshot, error) {
	st, err := f.Sync()
	if err != nil {
		return nil, err
	}
	msgs := f.Messages()
	s := &Snapshot{f: f, msgs: msgs, sizes: make([]int64, len(msgs)), uidls: make([]string, len(msgs))}
	for i, m := range msgs {
		if w := sizeField(m.Key, 'W'); w >= 0 {
			s.sizes[i] = w
		} else if s.sizes[i], err = f.VirtualSize(m.UID); err != nil {
			return nil, err
		}
		// Dovecot's default pop3_uidl_format, %08Xu%08Xv: the UID and
		// UIDVALIDITY in hex (Dovecot writes the digits in lower case),
		// stable for as long as the UID list is.
		s.uidls[i] = fmt.Sprintf("%08x%08x", m.UID, st.UIDValidity)
	}
	return s, nil
}

// Count returns the number of messages.
func (s *Snapshot) Count() int { return len(s.msgs) }

// Message returns message i (0-based).
func (s *Snapshot) Message(i int) Message { return s.msgs[i] }

// Size returns message i's size with CRLF line endings.
func (s *Snapshot) Size(i int) int64 { return s.sizes[i] }

// UIDL returns message i's unique id (RFC 1939 7: 1-70 characters in
// 0x21-0x7E), the UID and UIDVALIDITY as 16 lower-case hex digits,
// as Dovecot's default pop3_uidl_format makes them.
func (s *Snapshot) UIDL(i int) string { return s.uidls[i] }

// Open opens message i.
func (s *Snapshot) Open(ctx context.Context, i int) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.f.Open(s.msgs[i].UID)
}

// Expunge removes the messages numbered in idx (0-based), the POP3
// UPDATE state.
func (s *Snapshot) Expunge(ctx context.Context, idx []int) error {
	uids := make([]uint32, 0, len(idx))
	for _, i := range idx {
		if i >= 0 && i < len(s.msgs) {
			uids = append(uids, s.msgs[i].UID)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	return s.f.Expunge(uids)
}

// Close releases the snapshot; it holds no lock or file.
func (s *Snapshot) Close() error { return nil }
