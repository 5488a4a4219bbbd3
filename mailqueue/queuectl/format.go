package queuectl

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// WriteQueue prints a listing as Postfix's mailq does: for each message
// its ID (followed by '!' when held, '*' while being attempted), size,
// arrival time and sender (MAILER-DAEMON for the null reverse-path), then
// each pending recipient under the reason it is still queued; a message
// the store could not read is marked "(unreadable)". The last line
// totals the sizes in kilobytes, or the whole output is "Mail queue is
// empty". Arrival times print in the zone the store returned them in.
func WriteQueue(w io.Writer, entries []mailqueue.Entry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "Mail queue is empty")
		return err
	}
	if _, err := fmt.Fprintln(w, "-Queue ID-        --Size-- ----Arrival Time---- -Sender/Recipient-------"); err != nil {
		return err
	}
	total := 0
	for _, e := range entries {
		mark := " "
		switch {
		case e.Held:
			mark = "!"
		case e.Running:
			mark = "*"
		}
		if e.Broken {
			if _, err := fmt.Fprintf(w, "%s%s (unreadable)\n\n", e.ID, mark); err != nil {
				return err
			}
			continue
		}
		from := e.From
		if from == "" {
			from = "MAILER-DAEMON"
		}
		fmt.Fprintf(w, "%s%s %8d %s  %s\n", e.ID, mark, e.Size, e.Created.Format("Mon Jan _2 15:04:05"), from)
		for _, rc := range e.Recipients {
			if rc.Status != mailqueue.StatusPending {
				continue
			}
			if rc.Reply != "" {
				fmt.Fprintf(w, "%18s(%s)\n", "", strings.TrimSpace(rc.Reply))
			}
			fmt.Fprintf(w, "%49s%s\n", "", rc.Addr)
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		total += e.Size
	}
	req := "Requests"
	if len(entries) == 1 {
		req = "Request"
	}
	_, err := fmt.Fprintf(w, "-- %d Kbytes in %d %s.\n", (total+1023)/1024, len(entries), req)
	return err
}

// WriteMessage prints a message's envelope and state (id, from, created,
// attempts, next attempt, held, a "to" line per recipient with its status
// and last reply, size), an empty line, then its text as stored.
func WriteMessage(w io.Writer, m *mailqueue.Message) error {
	st := &m.State
	fmt.Fprintf(w, "id: %s\nfrom: <%s>\ncreated: %s\nattempts: %d\nnext attempt: %s\nheld: %v\n",
		m.ID, m.Envelope.From, st.Created.Format(time.RFC3339), st.Attempts, st.NextAttempt.Format(time.RFC3339), st.Held)
	for i, rc := range m.Envelope.Recipients {
		var r mailqueue.RcptState
		if i < len(st.Rcpts) {
			r = st.Rcpts[i]
		}
		fmt.Fprintf(w, "to: <%s> %s", rc.Addr, r.Status)
		if r.Reply != "" {
			fmt.Fprintf(w, " (%s)", strings.TrimSpace(r.Reply))
		}
		fmt.Fprintln(w)
	}
	if _, err := fmt.Fprintf(w, "size: %d\n\n", len(m.Body)); err != nil {
		return err
	}
	_, err := w.Write(m.Body)
	return err
}
