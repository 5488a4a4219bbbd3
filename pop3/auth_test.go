package pop3

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPasswordFile(t *testing.T) {
	h, err := HashPassword("s3cret pass", 1000)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := ReadPasswordFile(strings.NewReader("# users\nbob:" + h + "\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := pf.Authenticate(ctx, "bob", "s3cret pass"); err != nil {
		t.Errorf("right password: %v", err)
	}
	for _, c := range [][2]string{{"bob", "wrong"}, {"eve", "s3cret pass"}, {"bob", ""}} {
		if err := pf.Authenticate(ctx, c[0], c[1]); !errors.Is(err, ErrAuthFailed) {
			t.Errorf("%v: %v", c, err)
		}
	}
	for _, bad := range []string{"bob", "bob:plain", "bob:$pbkdf2-sha256$0$AA$AAAAAAAAAAAAAAAAAAAAAA", "bob:$pbkdf2-sha256$99999999999$AA$AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := ReadPasswordFile(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckAPOP(t *testing.T) {
	// RFC 1939 7's example.
	if !checkAPOP("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf", "c4c9334bac560ecc979e58001b3e22fb") {
		t.Error("RFC 1939 APOP example does not verify")
	}
}
