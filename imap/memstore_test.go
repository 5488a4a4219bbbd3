package imap

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// memBackend is an in-memory store for the server tests: one user whose
// mailboxes live in maps under one lock.
type memBackend struct {
	mu       sync.Mutex
	password string
	boxes    map[string]*memBox
	modseq   uint64
	logins   int
	opens    int  // messages opened, to see the server's cache work
	readTo   bool // Select returns a MessageReader
	readsTo  int  // ReadMessageTo calls
}

type memBox struct {
	validity, next uint32
	subscribed     bool
	attrs          []string
	msgs           []memMsg
}

type memMsg struct {
	uid    uint32
	flags  []string
	data   []byte
	date   time.Time
	modseq uint64
}

func newMemBackend() *memBackend {
	b := &memBackend{password: "secret", boxes: map[string]*memBox{}}
	b.boxes["INBOX"] = &memBox{validity: 7, next: 1, subscribed: true}
	b.boxes["Sent"] = &memBox{validity: 8, next: 1, subscribed: true, attrs: []string{`\Sent`}}
	b.boxes["Trash"] = &memBox{validity: 9, next: 1, attrs: []string{`\Trash`}}
	return b
}

func (b *memBackend) deliver(box string, data string, flags ...string) uint32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	mb := b.boxes[box]
	b.modseq++
	m := memMsg{uid: mb.next, flags: flags, data: []byte(data), date: time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC), modseq: b.modseq}
	mb.next++
	mb.msgs = append(mb.msgs, m)
	return m.uid
}

func (b *memBackend) Login(_ context.Context, _ ConnInfo, user, pass string) (User, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if user != "bob" || pass != b.password {
		return nil, ErrAuthFailed
	}
	b.logins++
	return b, nil
}

func (b *memBackend) Mailboxes(context.Context) ([]MailboxInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []MailboxInfo
	for name, mb := range b.boxes {
		out = append(out, MailboxInfo{Name: name, Attributes: mb.attrs, Subscribed: mb.subscribed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *memBackend) Select(_ context.Context, name string, _ bool) (Mailbox, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.boxes[name] == nil {
		return nil, ErrNoMailbox
	}
	if b.readTo {
		return &memReaderSel{memSel{b: b, name: name}}, nil
	}
	return &memSel{b: b, name: name}, nil
}

func (b *memBackend) Create(_ context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.boxes[name] != nil {
		return ErrMailboxExists
	}
	b.boxes[name] = &memBox{validity: 10, next: 1}
	return nil
}

func (b *memBackend) Delete(_ context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.boxes[name] == nil {
		return ErrNoMailbox
	}
	delete(b.boxes, name)
	return nil
}

func (b *memBackend) Rename(_ context.Context, from, to string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.boxes[from] == nil {
		return ErrNoMailbox
	}
	if b.boxes[to] != nil {
		return ErrMailboxExists
	}
	b.boxes[to] = b.boxes[from]
	delete(b.boxes, from)
	return nil
}

func (b *memBackend) SetSubscribed(_ context.Context, name string, on bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.boxes[name] == nil {
		return ErrNoMailbox
	}
	b.boxes[name].subscribed = on
	return nil
}

func (b *memBackend) Append(_ context.Context, name string, flags []string, date time.Time, r io.Reader, size int64) (uint32, uint32, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	mb := b.boxes[name]
	if mb == nil {
		return 0, 0, ErrNoMailbox
	}
	b.modseq++
	mb.msgs = append(mb.msgs, memMsg{uid: mb.next, flags: flags, data: data, date: date, modseq: b.modseq})
	mb.next++
	return mb.validity, mb.next - 1, nil
}

func (b *memBackend) Logout(context.Context) error { return nil }

type memSel struct {
	b    *memBackend
	name string
}

func (s *memSel) box() *memBox { return s.b.boxes[s.name] }

func (s *memSel) Snapshot(context.Context) (Snapshot, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb := s.box()
	snap := Snapshot{UIDValidity: mb.validity, UIDNext: mb.next, HighestModSeq: s.b.modseq}
	for _, m := range mb.msgs {
		snap.Messages = append(snap.Messages, Message{UID: m.uid, Flags: slices.Clone(m.flags), Size: int64(len(m.data)), InternalDate: m.date, ModSeq: m.modseq})
	}
	return snap, nil
}

func (s *memSel) Open(_ context.Context, uid uint32) (io.ReadCloser, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.opens++
	for _, m := range s.box().msgs {
		if m.uid == uid {
			return io.NopCloser(bytes.NewReader(m.data)), nil
		}
	}
	return nil, ErrNoMailbox
}

// memReaderSel is a memSel that is also a MessageReader.
type memReaderSel struct{ memSel }

func (s *memReaderSel) ReadMessageTo(_ context.Context, uid uint32, dst []byte) ([]byte, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.readsTo++
	for _, m := range s.box().msgs {
		if m.uid == uid {
			return append(dst, m.data...), nil
		}
	}
	return dst, ErrNoMailbox
}

func (s *memSel) Store(_ context.Context, uids []uint32, op StoreOp, flags []string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb := s.box()
	for i := range mb.msgs {
		m := &mb.msgs[i]
		if !slices.Contains(uids, m.uid) {
			continue
		}
		old := slices.Clone(m.flags)
		switch op {
		case StoreReplace:
			m.flags = slices.Clone(flags)
		case StoreAdd:
			for _, f := range flags {
				if !hasFlag(m.flags, f) {
					m.flags = append(m.flags, f)
				}
			}
		case StoreRemove:
			m.flags = slices.DeleteFunc(m.flags, func(f string) bool { return hasFlag(flags, f) })
		}
		if !slices.Equal(old, m.flags) {
			s.b.modseq++
			m.modseq = s.b.modseq
		}
	}
	return nil
}

func (s *memSel) Expunge(_ context.Context, uids []uint32) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb := s.box()
	mb.msgs = slices.DeleteFunc(mb.msgs, func(m memMsg) bool { return slices.Contains(uids, m.uid) })
	return nil
}

func (s *memSel) Copy(_ context.Context, uids []uint32, dest string) (uint32, []uint32, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	d := s.b.boxes[dest]
	if d == nil {
		return 0, nil, ErrNoMailbox
	}
	var out []uint32
	for _, uid := range uids {
		for _, m := range s.box().msgs {
			if m.uid == uid {
				s.b.modseq++
				c := m
				c.uid, c.modseq = d.next, s.b.modseq
				c.flags = slices.Clone(m.flags)
				d.next++
				d.msgs = append(d.msgs, c)
				out = append(out, c.uid)
			}
		}
	}
	return d.validity, out, nil
}

func (s *memSel) Close(context.Context) error { return nil }
