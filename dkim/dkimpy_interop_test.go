//go:build interop

package dkim

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dkimpyScript verifies (mode "verify") or signs (mode "sign") the
// message on stdin with dkimpy, answering key lookups from argv.
const dkimpyScript = `
import sys, base64, dkim
mode, sel, rec, key, canon = sys.argv[1:6]
msg = sys.stdin.buffer.read()
dns = lambda name, timeout=5: rec.encode()
if mode == "verify":
    ok = dkim.verify(msg, dnsfunc=dns)
    print("pass" if ok else "fail")
else:
    alg = b"ed25519-sha256" if sel == "ed" else b"rsa-sha256"
    c = canon.encode()
    sig = dkim.sign(msg, sel.encode(), b"crepes.fr", open(key, "rb").read(),
        canonicalize=(c, c), signature_algorithm=alg,
        include_headers=[b"from", b"to", b"subject", b"date"])
    sys.stdout.buffer.write(sig + msg)
`

// interopCorpus is a set of real-shaped messages: folded headers, long
// lines, trailing blank lines, 8-bit bodies, whitespace runs.
func interopCorpus() []string {
	return []string{
		testMsg,
		"From: Alice <alice@crepes.fr>\r\nTo: bob@hamburger.edu\r\nSubject: a subject that is folded\r\n\tover  two lines\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n\r\n" +
			strings.Repeat("x", 900) + "\r\n\r\n\r\n\r\n",
		"From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: caf\xc3\xa9\r\n\r\nD\xc3\xa9j\xc3\xa0 vu \t  with  spaces  \r\n  \r\n",
		"From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\n\r\n",
	}
}

func TestInteropDkimpy(t *testing.T) {
	// Debian's python3-dkim is in the system Python, which a pyenv or
	// venv python3 earlier in PATH may not see.
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import dkim").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		t.Skip("python3-dkim (dkimpy) missing")
	}
	dir := t.TempDir()
	rk := loadRSA(t, "rsa2048.pem")
	ek := rfc8463Key()
	edKeyFile := filepath.Join(dir, "ed.key")
	os.WriteFile(edKeyFile, []byte(base64.StdEncoding.EncodeToString(ek.Seed())), 0o600)
	keys := []struct {
		sel, rec, file string
		opt            SignOptions
	}{
		{"rsa", keyRecord(rk.Public()), "testdata/rsa2048.pem", SignOptions{Domain: "crepes.fr", Selector: "rsa", Key: rk}},
		{"ed", keyRecord(ek.Public()), edKeyFile, SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek}},
	}
	run := func(stdin string, args ...string) string {
		cmd := exec.Command(python, append([]string{"-c", dkimpyScript}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("dkimpy %v: %v\n%s", args[:2], err, stderr.String())
		}
		return string(out)
	}
	for _, k := range keys {
		for _, c := range []Canonicalization{Simple, Relaxed} {
			for i, msg := range interopCorpus() {
				opt := k.opt
				opt.HeaderCanon, opt.BodyCanon = c, c
				signed := signMsg(t, msg, opt)
				if got := strings.TrimSpace(run(signed, "verify", k.sel, k.rec, "", string(c))); got != "pass" {
					t.Errorf("dkimpy verifying ours (%s %s msg %d): %s\n%s", k.sel, c, i, got, signed)
				}
				theirs := run(msg, "sign", k.sel, k.rec, k.file, string(c))
				res, err := (&Verifier{Resolver: fakeDNS{k.sel + "._domainkey.crepes.fr": {k.rec}}}).Verify(context.Background(), strings.NewReader(theirs))
				if err != nil || len(res) != 1 || res[0].Status != Pass {
					t.Errorf("ours verifying dkimpy (%s %s msg %d): %v %+v\n%s", k.sel, c, i, err, res, theirs)
				}
			}
		}
	}
}
