package main

import (
	"context"
	"strings"
	"time"

	"github.com/relaykit/relaykit/rfc5322"
)

// queueLifetime is how long Alice's queue keeps trying. RFC 5321 4.5.4.1
// asks for at least 4-5 days (Postfix: 5 days); the story's queue gives
// up after 4 hours so that the simulated clock need not run for days.
const queueLifetime = 4 * time.Hour

// giveUp is a message whose receiving server never comes up: the queue
// retries every 30 minutes until the message's lifetime is over, then
// fails it and tells Alice.
func (s *story) giveUp() {
	s.heading("A message that cannot be delivered: the queue gives up")
	carol := rfc5322.Address{Name: "Carol", Addr: "carol@waffles.hamburger.edu"}
	msg, err := s.composeMessage(carol, "Waffles?", "Are you coming on Sunday?\n")
	if err != nil {
		s.stop("message to carol composed", err)
		return
	}
	s.printf("  Alice writes to carol@waffles.hamburger.edu, whose mail server (MX mail.waffles,\n")
	s.printf("  127.0.0.30) never answers. The queue retries every 30 minutes; after %v hours\n", queueLifetime.Hours())
	s.printf("  (the story's lifetime; RFC 5321 4.5.4.1 says 4-5 days) it gives up:\n\n")
	if !s.submit(msg, carol.Addr, s.verbose) {
		return
	}
	for i := 0; i < 2; i++ { // MX waffles.hamburger.edu, A mail.waffles.hamburger.edu
		if _, ok := s.waitTrace("lookup for waffles.hamburger.edu"); !ok {
			return
		}
	}
	attempts := 0
	for {
		a, ok := s.waitAttempt("delivery attempt to carol")
		if !ok {
			return
		}
		if a.Txn.From == "" { // the bounce, from <>
			s.expect(a.Err == nil && a.Target.Domain == "crepes.fr" && len(a.Replies) == 1 && a.Replies[0].Success(),
				"the failure report, from <>, is delivered to mail.crepes.fr")
			break
		}
		attempts++
		s.printf("    %s  attempt %d: %s\n", s.w.clock.Now().Format("15:04"), attempts, shortErr(a))
		// Wait for the queue to record the attempt: either a next
		// attempt is set, or the message is gone (failed; the report
		// is on its way).
		var next time.Time
		deadline := time.Now().Add(10 * time.Second)
		for {
			gone, found := true, false
			for _, x := range s.entries() {
				if x.Recipients[0].Addr == carol.Addr {
					gone = false
					if x.Attempts == attempts && x.NextAttempt.After(s.w.clock.Now()) {
						next, found = x.NextAttempt, true
					}
				}
			}
			if gone || found {
				break
			}
			if time.Now().After(deadline) {
				s.stop("the queue records the attempt", context.DeadlineExceeded)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		if next.IsZero() {
			continue
		}
		ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
		err := s.w.clock.WaitTimer(ctx, next)
		cancel()
		if err != nil {
			s.stop("the queue schedules the next attempt", err)
			return
		}
		s.w.clock.Advance(next.Sub(s.w.clock.Now()))
	}
	s.expect(attempts == int(queueLifetime/(30*time.Minute))+1,
		"the queue tried every 30 minutes for the whole lifetime, then gave up")
	select {
	case <-s.w.accepted:
	case <-time.After(10 * time.Second):
		s.stop("the report reaches Alice's mailbox", context.DeadlineExceeded)
		return
	}
	msgs, err := s.w.aliceBackend.Mailboxes().Messages(alice.Addr)
	if err != nil || len(msgs) != 2 {
		s.stop("two reports in Alice's mailbox", err)
		return
	}
	report := string(msgs[1])
	if !strings.Contains(report, "carol@") {
		report = string(msgs[0])
	}
	s.printf("\n  Alice's mailbox gets the report:\n\n")
	s.printReport(report)
	for _, want := range []string{"Action: failed", "Final-Recipient: rfc822; carol@waffles.hamburger.edu", "Subject: Waffles?"} {
		s.expect(strings.Contains(report, want), "the expiry report says "+want)
	}
}

// shortErr is an attempt's failure in a few words.
func shortErr(a attempt) string {
	t := replyText(a)
	if i := strings.LastIndex(t, ": "); i >= 0 {
		return t[i+2:]
	}
	return t
}
