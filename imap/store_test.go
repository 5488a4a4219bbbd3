package imap

import "testing"

// TestStoreSilent: STORE .SILENT reports nothing of the session's own
// changes (RFC 9051 6.4.6) but does report another session's, and with
// CONDSTORE on it still sends the new MODSEQ (RFC 7162 3.1.3), as
// Dovecot 2.3 answers.
func TestStoreSilent(t *testing.T) {
	ts := startServer(t, nil)
	for range 3 {
		ts.be.deliver("INBOX", msg2)
	}
	c, _ := ts.dial(t)
	c.do("a1", "LOGIN bob secret")
	c.do("a2", "SELECT INBOX")
	c.check("a3", `UID STORE 1 +FLAGS.SILENT (\Seen)`, "a3 OK STORE completed")
	c.check("a4", `STORE 1 FLAGS.SILENT (\Seen \Flagged)`, "a4 OK STORE completed")
	c.check("a5", `STORE 1 -FLAGS.SILENT (\Answered)`, "a5 OK STORE completed")
	c.check("a6", "FETCH 1 FLAGS", `* 1 FETCH (FLAGS (\Seen \Flagged))`, "a6 OK FETCH completed")

	// Another session changes messages 1 and 2: both are reported to
	// the first, message 1 too although the first also changed it.
	o, _ := ts.dial(t)
	o.do("b1", "LOGIN bob secret")
	o.do("b2", "SELECT INBOX")
	o.check("b3", `STORE 2 +FLAGS.SILENT (\Draft)`, "b3 OK STORE completed")
	o.check("b4", `STORE 1 +FLAGS.SILENT (\Draft)`, "b4 OK STORE completed")
	c.check("a7", `UID STORE 1 +FLAGS.SILENT (\Answered)`,
		`* 1 FETCH (FLAGS (\Seen \Flagged \Draft \Answered) UID 1)`,
		`* 2 FETCH (FLAGS (\Draft) UID 2)`,
		"a7 OK STORE completed")

	// With CONDSTORE: the MODSEQ of each changed message, nothing for
	// a message left as it was.
	c.check("a8", "ENABLE CONDSTORE", "* ENABLED CONDSTORE", "a8 OK ENABLE completed")
	c.check("a9", `UID STORE 1 +FLAGS.SILENT (\Seen)`, "a9 OK STORE completed")
	c.check("c1", `UID STORE 1 +FLAGS.SILENT (\Deleted)`, "* 1 FETCH (UID 1 MODSEQ (9))", "c1 OK STORE completed")
	c.check("c2", `STORE 1:3 FLAGS.SILENT (\Seen)`,
		"* 1 FETCH (MODSEQ (10))", "* 2 FETCH (MODSEQ (11))", "* 3 FETCH (MODSEQ (12))",
		"c2 OK STORE completed")
	c.check("c3", `STORE 1 -FLAGS (\Seen)`, `* 1 FETCH (FLAGS () MODSEQ (13))`, "c3 OK STORE completed")
}
