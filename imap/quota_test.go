package imap

import (
	"context"
	"testing"
)

// quotaBackend serves memBackend's users with a quota.
type quotaBackend struct {
	*memBackend
	res []QuotaResource
}

type quotaUser struct {
	User
	res []QuotaResource
}

func (u quotaUser) Quota(context.Context) ([]QuotaResource, bool, error) {
	return u.res, u.res != nil, nil
}

func (b quotaBackend) Login(ctx context.Context, c ConnInfo, user, pass string) (User, error) {
	u, err := b.memBackend.Login(ctx, c, user, pass)
	if err != nil {
		return nil, err
	}
	return quotaUser{u, b.res}, nil
}

// TestQuota: a QuotaUser's quota is advertised after login and reported
// by GETQUOTAROOT and GETQUOTA (RFC 9208); STATUS SIZE and DELETED
// count the mailbox.
func TestQuota(t *testing.T) {
	ts := startServer(t, func(s *Server) {
		s.Backend = quotaBackend{s.Backend.(*memBackend), []QuotaResource{{"STORAGE", 10, 512}, {"MESSAGE", 2, 100}}}
	})
	ts.be.deliver("INBOX", msg1)
	ts.be.deliver("INBOX", msg2, `\Deleted`)
	c, greet := ts.dial(t)
	if want := "* OK [CAPABILITY " + caps + " AUTH=PLAIN] localhost IMAP4rev2 server ready"; greet != want {
		t.Errorf("greeting %q", greet)
	}
	qcaps := caps + " QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE"
	c.check("a1", "LOGIN bob secret", "a1 OK [CAPABILITY "+qcaps+"] Logged in")
	c.check("a2", "CAPABILITY", "* CAPABILITY "+qcaps, "a2 OK CAPABILITY completed")
	c.check("a3", "GETQUOTAROOT inbox", `* QUOTAROOT INBOX ""`, `* QUOTA "" (STORAGE 10 512 MESSAGE 2 100)`, "a3 OK GETQUOTAROOT completed")
	c.check("a4", `GETQUOTA ""`, `* QUOTA "" (STORAGE 10 512 MESSAGE 2 100)`, "a4 OK GETQUOTA completed")
	c.check("a5", `GETQUOTA "other"`, "a5 NO [NONEXISTENT] No such quota root")
	c.check("a6", "GETQUOTAROOT Nowhere", "a6 NO [NONEXISTENT] No such mailbox")
	c.check("a7", "STATUS INBOX (MESSAGES SIZE DELETED)", "* STATUS INBOX (MESSAGES 2 SIZE 228 DELETED 1)", "a7 OK STATUS completed")

	// A store without a quota: nothing advertised, GETQUOTA unknown.
	ts2 := startServer(t, nil)
	d, _ := ts2.dial(t)
	d.check("b1", "LOGIN bob secret", "b1 OK [CAPABILITY "+caps+"] Logged in")
	d.check("b2", `GETQUOTA ""`, "b2 BAD Unknown command")
}
