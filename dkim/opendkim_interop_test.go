//go:build interop

package dkim

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// opendkimDir makes a private directory for OpenDKIM's files: opendkim
// refuses a configuration or key file that any ancestor directory lets
// other users write (as /tmp does), so it lives under the home
// directory.
func opendkimDir(t *testing.T) string {
	t.Helper()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skipf("opendkim needs a private directory: %v", err)
	}
	for d := home; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o022 != 0 {
			t.Skipf("opendkim needs a directory no other user can write; %s is not", d)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	dir, err := os.MkdirTemp(home, "relaykit-opendkim-")
	if err != nil {
		t.Skipf("opendkim needs a private directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// opendkimRun runs "opendkim -x conf -t msgfile" and returns its
// output: in test mode it prints the fields it would add, "Name: value"
// with continuation lines, and the verification result.
func opendkimRun(t *testing.T, dir, conf, msg string) string {
	t.Helper()
	cf := filepath.Join(dir, "opendkim.conf")
	mf := filepath.Join(dir, "msg.eml")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mf, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("opendkim", "-x", cf, "-t", mf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("opendkim: %v\n%s%s", err, out, stderr.String())
	}
	return string(out) + stderr.String()
}

// insHeader returns the value of the field named name (with its
// continuation lines) in opendkim's test-mode output.
func insHeader(out, name string) (string, bool) {
	i := strings.Index(out, "\n"+name+": ")
	if i < 0 {
		return "", false
	}
	v := out[i+len(name)+3:]
	end := 0
	for {
		nl := strings.IndexByte(v[end:], '\n')
		if nl < 0 {
			end = len(v)
			break
		}
		end += nl + 1
		if end >= len(v) || (v[end] != ' ' && v[end] != '\t') {
			end--
			break
		}
	}
	return v[:end], true
}

func (o SignOptions) algorithm() string {
	if o.Selector == "ed" {
		return string(Ed25519SHA256)
	}
	return string(RSASHA256)
}

func TestInteropOpenDKIM(t *testing.T) {
	if _, err := exec.LookPath("opendkim"); err != nil {
		t.Skip("opendkim missing")
	}
	dir := opendkimDir(t)
	rk := loadRSA(t, "rsa2048.pem")
	ek := rfc8463Key()
	der, err := x509.MarshalPKCS8PrivateKey(ek)
	if err != nil {
		t.Fatal(err)
	}
	keys := []struct {
		sel, rec string
		pem      []byte
		opt      SignOptions
	}{
		{"rsa", keyRecord(rk.Public()), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}),
			SignOptions{Domain: "crepes.fr", Selector: "rsa", Key: rk}},
		{"ed", keyRecord(ek.Public()), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
			SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek}},
	}
	var pub strings.Builder
	for _, k := range keys {
		if err := os.WriteFile(filepath.Join(dir, k.sel+".key"), k.pem, 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&pub, "%s._domainkey.crepes.fr %s\n", k.sel, k.rec)
	}
	pubFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(pubFile, []byte(pub.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	verifyConf := "Mode v\nSyslog no\nTestPublicKeys " + pubFile + "\nAlwaysAddARHeader yes\nAuthservID mx.hamburger.edu\n"
	for _, k := range keys {
		for _, c := range []Canonicalization{Simple, Relaxed} {
			for i, msg := range interopCorpus() {
				name := fmt.Sprintf("%s %s msg %d", k.sel, c, i)
				// Ours, verified by OpenDKIM.
				opt := k.opt
				opt.HeaderCanon, opt.BodyCanon = c, c
				signed := signMsg(t, msg, opt)
				out := opendkimRun(t, dir, verifyConf, signed)
				// Test mode reports "verification (s=..., d=..., N-bit key)
				// succeeded" or "... failed".
				if want := "verification (s=" + k.sel + ", d=crepes.fr"; !strings.Contains(out, want) || !strings.Contains(out, ") succeeded") {
					t.Errorf("opendkim verifying ours (%s):\n%s\n%s", name, out, signed)
				}
				// OpenDKIM's, verified by ours.
				signConf := fmt.Sprintf("Mode s\nSyslog no\nDomain crepes.fr\nSelector %s\nKeyFile %s\nCanonicalization %s/%s\nSignatureAlgorithm %s\n",
					k.sel, filepath.Join(dir, k.sel+".key"), c, c, k.opt.algorithm())
				out = opendkimRun(t, dir, signConf, msg)
				sig, ok := insHeader(out, "DKIM-Signature")
				if !ok {
					t.Fatalf("opendkim signing (%s): no DKIM-Signature in\n%s", name, out)
				}
				theirs := "DKIM-Signature: " + strings.ReplaceAll(strings.ReplaceAll(sig, "\r", ""), "\n", "\r\n") + "\r\n" + msg
				if !strings.Contains(sig, "a="+k.opt.algorithm()) {
					t.Errorf("opendkim signing (%s): unexpected algorithm in %s", name, sig)
				}
				res, err := (&Verifier{Resolver: fakeDNS{k.sel + "._domainkey.crepes.fr": {k.rec}}}).Verify(context.Background(), strings.NewReader(theirs))
				if k.sel == "ed" {
					// Debian's OpenDKIM 2.11.0~beta2 does not verify its
					// own ed25519-sha256 signatures with c=simple/simple (while it verifies
					// ours); compare only when it does.
					if self := opendkimRun(t, dir, verifyConf, theirs); !strings.Contains(self, ") succeeded") {
						t.Logf("opendkim cannot verify its own ed25519 signature (%s); not compared: %s", name, strings.TrimSpace(self))
						continue
					}
				}
				if err != nil || len(res) != 1 || res[0].Status != Pass {
					t.Errorf("ours verifying opendkim (%s): %v %+v\n%s", name, err, res, theirs)
				}
			}
		}
	}
}
