package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestStory runs the whole program, as `go run ./examples/alice-to-bob`
// does, and requires exit status 0 (every step happened) and the story's
// landmarks in its output.
func TestStory(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		var out bytes.Buffer
		code := run(ctx, &out, verbose)
		cancel()
		got := out.String()
		if code != 0 {
			t.Fatalf("verbose=%v: exit %d\n%s", verbose, code, got)
		}
		for _, want := range []string{
			"Subject: Do you like ketchup?",
			"C: AUTH PLAIN <credentials hidden>",
			"S: 235 2.7.0",
			"referral to edu. (ns.edu.)",
			"referral to hamburger.edu. (ns.hamburger.edu.)",
			"=> hamburger.edu.\t3600\tIN\tMX\t10 mail.hamburger.edu.",
			"connect: connection refused",
			"next at 09:30",
			"the simulated clock reads 09:30",
			"C: MAIL FROM:<alice@crepes.fr>",
			"C: RSET",
			"Status: 5.1.1",
			"How about pickles?",
			"multipart/mixed",
			"attachment \"cornichons-à-l'aneth.txt\"",
			"checks passed: the mail got through",
			"status: NXDOMAIN",
			"opcode: UPDATE",
			";; PREREQUISITE SECTION:",
			"hamburger.edu.\t\t3600\tIN\tNS\tns.hamburger.edu.",
			"signature verified",
			"www.hamburger.edu.\t3600\tIN\tCNAME\tweb.hamburger.edu.",
			"went down from 300 to 240 seconds",
			"DKIM pass (d=crepes.fr s=mail); DMARC pass",
			"dmarc=pass header.from=crepes.fr",
			"S: 550 5.7.1 DMARC policy of crepes.fr is reject",
			"C: STLS",
			"IN\tDS\t",
			"Verdict: secure.",
			"IN\tTLSA\t3 1 1 ",
			"signature does not verify",
			"S: 250-STARTTLS",
			"verified by dane-ee",
			"S: * 1 EXISTS",
			"C: c3 IDLE",
			"AUTHENTICATE PLAIN <credentials hidden>",
			"13:30  attempt 9: connection refused",
			"Final-Recipient: rfc822; carol@waffles.hamburger.edu",
			"PIPELINING,",
			"C: PASS ****",
			"S: +OK bye (0 messages left)",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("verbose=%v: output lacks %q", verbose, want)
			}
		}
		if verbose && (!strings.Contains(got, "Reporting-MTA: dns; mail.crepes.fr") || !strings.Contains(got, "C: Dinner on Friday?") && !strings.Contains(got, "C: Subject: Dinner on Friday?")) {
			t.Errorf("verbose output lacks the full report or the second submission's transcript")
		}
		// Every check is printed once in the summary.
		seen := map[string]bool{}
		for _, l := range strings.Split(got[strings.Index(got, "Did everything happen as told?"):], "\n") {
			if strings.HasPrefix(l, "  [") && seen[l] {
				t.Errorf("verbose=%v: check printed twice: %s", verbose, l)
			}
			seen[l] = true
		}
		// The password never shows, not even base64-encoded in AUTH PLAIN.
		plain := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + alicePassword))
		bobPlain := base64.StdEncoding.EncodeToString([]byte("\x00bob\x00" + bobPassword))
		if strings.Contains(got, bobPassword) || strings.Contains(got, bobPlain) || strings.Contains(got, alicePassword) || strings.Contains(got, plain) {
			t.Errorf("verbose=%v: the password appears in the output", verbose)
		}
	}
}

func TestSimClock(t *testing.T) {
	c := newSimClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ch, stop := c.After(time.Minute)
	ch2, _ := c.After(time.Hour)
	now, _ := c.After(0)
	select {
	case <-now:
	default:
		t.Fatal("After(0) did not fire at once")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.WaitTimer(ctx, c.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	select {
	case <-ch:
	default:
		t.Fatal("timer due at +1m did not fire")
	}
	select {
	case <-ch2:
		t.Fatal("timer due at +1h fired early")
	default:
	}
	stop() // stopping a fired timer is harmless
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if err := c.WaitTimer(short, c.Now().Add(time.Minute)); err == nil {
		t.Error("WaitTimer found a timer that is not due within the minute")
	}
}
