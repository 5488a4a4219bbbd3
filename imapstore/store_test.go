package imapstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
)

// TestQuota: the maildirsize quota is the user's RFC 9208 quota, and a
// maildir without one reports none.
func TestQuota(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "q"), mailbox.Options{Create: true, Quota: mailbox.Quota{Bytes: 100 << 10, Messages: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := md.Deliver(ctx, mailbox.Inbox, make([]byte, 1500), 0); err != nil {
		t.Fatal(err)
	}
	res, ok, err := NewUser(md).(imap.QuotaUser).Quota(ctx)
	want := []imap.QuotaResource{{Name: "STORAGE", Usage: 2, Limit: 100}, {Name: "MESSAGE", Usage: 1, Limit: 10}}
	if diff := cmp.Diff(want, res); diff != "" || !ok || err != nil {
		t.Errorf("quota (ok %v, err %v) -want +got\n%s", ok, err, diff)
	}

	plain, err := mailbox.Open(filepath.Join(t.TempDir(), "p"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if res, ok, err := NewUser(plain).(imap.QuotaUser).Quota(ctx); ok || res != nil || err != nil {
		t.Errorf("no quota: %v %v %v", res, ok, err)
	}
}
