package localmail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/relaykit/relaykit/mailbox"
)

// Writer delivers messages into the Maildirs of a Mailboxes with group
// commit: the deliveries that sessions submit while a batch is being
// written form the next batch, written by one mailbox.DeliverBatch (one
// directory flush per Maildir per batch), and each Deliver returns once
// its files are durable. It is what a server uses to deliver before its
// 250 (Backend does, without a Journal). Create it with NewWriter.
type Writer struct {
	mb   *Mailboxes
	host string
	pid  int
	seq  atomic.Uint64
	bufs sync.Pool // *[]byte file contents, reused

	lifecycle // mu held for reading while sending to reqs
	reqs      chan *commitReq
}

// commitReq is one delivery's files waiting for the committer.
type commitReq struct {
	files []mailbox.Delivery
	err   chan error
}

// copyBudget bounds the bytes of file contents one Deliver holds at once:
// mailbox.Delivery takes each file as one slice, so every recipient's
// file is its own copy, and a big message to many recipients is written
// in turns of at most this many bytes (at least one file a turn).
const copyBudget = 4 << 20

// NewWriter returns a Writer into mb's Maildirs and starts its committer;
// mb.Options.Host and Now name the files (the maildir convention: time,
// unique part, host). Close it to stop the committer.
func NewWriter(mb *Mailboxes) *Writer { return newWriter(mb, mb.Options.Host) }

// newWriter is NewWriter with host, when not empty, naming the files
// (default os.Hostname).
func newWriter(mb *Mailboxes, host string) *Writer {
	if host == "" {
		host, _ = os.Hostname()
	}
	m := &Writer{
		mb: mb, host: strings.NewReplacer("/", "_", ":", "_").Replace(host), pid: os.Getpid(),
		reqs:      make(chan *commitReq, 1024),
		lifecycle: newLifecycle(),
	}
	go m.committer()
	return m
}

// Close stops the committer once the deliveries already submitted are
// committed. Deliver fails with ErrClosed afterwards.
func (m *Writer) Close() error {
	m.stop()
	return nil
}

// Deliver writes msg (CRLF line endings) into the maildir of each
// recipient, with Return-Path (RFC 5321 4.4) and Delivered-To fields
// prepended and line endings converted to LF as maildir readers expect. It
// returns once every file is durable and visible in new/, with the
// files' paths.
func (m *Writer) Deliver(ctx context.Context, from string, rcpts []string, msg []byte) ([]string, error) {
	turn := max(1, copyBudget/(len(msg)+len(from)+64))
	bufs := make([]*[]byte, 0, min(turn, len(rcpts)))
	defer func() {
		for _, bp := range bufs {
			if cap(*bp) <= 1<<20 {
				m.bufs.Put(bp)
			}
		}
	}()
	out := make([]string, 0, len(rcpts))
	for start := 0; start < len(rcpts); start += turn {
		req := &commitReq{err: make(chan error, 1)}
		for i, rcpt := range rcpts[start:min(start+turn, len(rcpts))] {
			mb, dir, err := m.mb.open(rcpt)
			if err != nil {
				return nil, err
			}
			if i == len(bufs) {
				bp, _ := m.bufs.Get().(*[]byte)
				if bp == nil {
					bp = new([]byte)
				}
				bufs = append(bufs, bp)
			}
			bp := bufs[i]
			*bp = appendFile(slices.Grow((*bp)[:0], len(msg)+len(from)+len(rcpt)+32), from, rcpt, msg)
			key := m.uniqueName(*bp)
			req.files = append(req.files, mailbox.Delivery{Maildir: mb, Data: *bp, Key: key})
			out = append(out, filepath.Join(dir, "new", key))
		}
		m.mu.RLock()
		if m.closed {
			m.mu.RUnlock()
			return nil, ErrClosed
		}
		m.reqs <- req
		m.mu.RUnlock()
		// Once submitted the files are the committer's; wait for it even
		// if ctx ends, so a 250 is never sent for a message not on disk
		// and an error never for one that is.
		if err := <-req.err; err != nil {
			return nil, err
		}
	}
	_ = ctx
	return out, nil
}

// appendFile appends the maildir file for one recipient: Return-Path and
// Delivered-To, then msg with CRLF turned into LF.
func appendFile(dst []byte, from, rcpt string, msg []byte) []byte {
	return appendLF(appendHead(dst, from, rcpt), msg)
}

// appendHead appends the Return-Path and Delivered-To fields a maildir
// file starts with.
func appendHead(dst []byte, from, rcpt string) []byte {
	dst = append(dst, "Return-Path: <"...)
	dst = append(dst, from...)
	dst = append(dst, ">\nDelivered-To: "...)
	dst = append(dst, rcpt...)
	return append(dst, '\n')
}

// appendLF appends msg with CRLF turned into LF.
func appendLF(dst, msg []byte) []byte { return mailbox.AppendLF(dst, msg) }

// uniqueName is the maildir file name (the mailbox key) of data:
// seconds.MmicrosPpidQseq.host, the sequence number zero-padded so names
// of one second sort in delivery order, then the Maildir++ size fields
// ",S=<bytes>,W=<bytes with CRLF>" that mailbox and Dovecot read sizes
// from (data has LF line endings only).
func (m *Writer) uniqueName(data []byte) string {
	t := m.mb.now()
	return fmt.Sprintf("%d.M%06dP%dQ%010d.%s,S=%d,W=%d", t.Unix(), t.Nanosecond()/1000, m.pid, m.seq.Add(1), m.host,
		len(data), len(data)+bytes.Count(data, []byte{'\n'}))
}

// committer makes batches of deliveries durable and visible together.
// Requests that arrive while a batch is being committed form the next
// batch.
func (m *Writer) committer() {
	defer close(m.done)
	for {
		var first *commitReq
		select {
		case first = <-m.reqs:
		case <-m.quit:
			// Commit whatever was submitted before Close.
			for {
				select {
				case r := <-m.reqs:
					m.commit([]*commitReq{r})
				default:
					return
				}
			}
		}
		batch := []*commitReq{first}
	drain:
		for len(batch) < 256 {
			select {
			case r := <-m.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		m.commit(batch)
	}
}

// commit writes a batch with one mailbox.DeliverBatch, which follows the
// maildir rule for the batch as a whole (every file written and flushed
// in tmp/, renamed into new/, each new/ directory flushed once). One
// goroutine does all of it, so a batch blocks one thread however many
// sessions wait on it. A request fails as a whole if any of its files
// fails; the others go on. Nothing of a failed request is acknowledged
// (a file of it already in new/ stays: it is complete, and the client's
// retry makes a duplicate at worst, never a loss).
func (m *Writer) commit(batch []*commitReq) {
	n := 0
	for _, r := range batch {
		n += len(r.files)
	}
	all := make([]mailbox.Delivery, 0, n)
	for i, r := range batch {
		start := len(all)
		all = append(all, r.files...)
		if len(r.files) > 1 {
			for j := start; j < len(all); j++ {
				all[j].Group = i + 1 // all or nothing: no half-delivered message
			}
		}
	}
	// The batch is written whatever happens to the sessions' contexts:
	// each is waiting for its answer.
	mailbox.DeliverBatch(context.Background(), all)
	i := 0
	for _, r := range batch {
		var err error
		for _, d := range all[i : i+len(r.files)] {
			if d.Err != nil {
				err = fmt.Errorf("localmail: maildir commit: %w", d.Err)
				break
			}
		}
		i += len(r.files)
		r.err <- err
	}
}
