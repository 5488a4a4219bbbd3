//go:build interop

package zone

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// ldnsSign signs text (the zone at origin) with ldns-signzone and a new
// Ed25519 key, with NSEC3 when nsec3 is set, and returns the signed text.
func ldnsSign(t *testing.T, origin, text string, nsec3 bool) string {
	t.Helper()
	for _, bin := range []string{"ldns-keygen", "ldns-signzone"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skip(bin + " not installed")
		}
	}
	dir := t.TempDir()
	out, err := runIn(dir, "ldns-keygen", "-a", "ED25519", "-k", origin)
	if err != nil {
		t.Fatalf("ldns-keygen: %v %s", err, out)
	}
	key := strings.TrimSpace(string(out))
	zf := filepath.Join(dir, "zone")
	os.WriteFile(zf, []byte(text), 0o644)
	args := []string{"-o", origin, "-e", "20400101000000", "-i", "20200101000000"}
	if nsec3 {
		args = append(args, "-n", "-t", "0")
	}
	args = append(args, zf, key)
	if out, err := runIn(dir, "ldns-signzone", args...); err != nil {
		t.Fatalf("ldns-signzone: %v %s", err, out)
	}
	signed, err := os.ReadFile(zf + ".signed")
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func runIn(dir, bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

var denial = regexp.MustCompile(`in\s+nsec3?\s`)

// signedCorpus adds to corpus the questions a validator asks of a signed
// zone (DNSKEY, DS, NSEC).
var signedCorpus = append(append([]string(nil), corpus...), "example. DNSKEY", "example. NSEC", "nope.sub2.example. A", "c.example. TXT")

// TestInteropSignedAgainstNSD: dig, with and without +dnssec, prints the
// same answers from our server and from NSD serving the same zone signed
// by ldns-signzone, with NSEC and with NSEC3 (RRSIGs, proofs of denial,
// DS or its denial in referrals); only the additional-section
// differences of the unsigned corpus remain.
func TestInteropSignedAgainstNSD(t *testing.T) {
	if _, err := exec.LookPath("dig"); err != nil {
		t.Skip("dig not installed")
	}
	text, err := os.ReadFile("testdata/example.zone")
	if err != nil {
		t.Fatal(err)
	}
	// A signed delegation (sub) beside the unsigned one the corpus has.
	src := string(text) + "sub2 NS ns.sub2\nns.sub2 A 192.0.2.54\n" +
		"sub DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000\n"
	for _, nsec3 := range []bool{false, true} {
		signed := ldnsSign(t, "example.", src, nsec3)
		nsd := startNSD(t, map[string]string{"example.": signed, "example.net.": exampleNet}, "")
		s := &Server{}
		z, err := parseText("example.", signed)
		if err != nil {
			t.Fatal(err)
		}
		s.AddZone(z)
		n, _ := parseText("example.net.", exampleNet)
		s.AddZone(n)
		if err := s.ListenAndServe("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		ours := s.Addr().String()
		dig := func(addr, name, typ string, do bool) string {
			h, p, _ := net.SplitHostPort(addr)
			args := []string{"-p", p, "@" + h, "+norec", "+nocookie", "+tries=1", "+time=2", "+bufsize=4096", name, typ}
			if do {
				args = append(args, "+dnssec")
			}
			out, err := exec.Command("dig", args...).CombinedOutput()
			if err != nil {
				t.Errorf("dig %s %s: %v", name, typ, err)
			}
			return string(out)
		}
		compared := 0
		for _, q := range signedCorpus {
			f := strings.Fields(q)
			for _, do := range []bool{true, false} {
				x, y := normalise(dig(ours, f[0], f[1], do), digNoise), normalise(dig(nsd, f[0], f[1], do), digNoise)
				compared++
				if do && strings.Contains(q, "nope") && !denial.MatchString(x) {
					t.Errorf("nsec3=%v %s: no denial in\n%s", nsec3, q, x)
				}
				if knownDifferences[q] {
					x, y = dropAdditional(x, 0), dropAdditional(y, 0)
				}
				if x != y {
					t.Errorf("nsec3=%v DO=%v %s differs:\n--- zone\n%s\n--- NSD\n%s", nsec3, do, q, x, y)
				}
			}
		}
		s.Close()
		t.Logf("nsec3=%v: %d answers compared", nsec3, compared)
	}
}

// TestInteropSignerVerified: zones signed by Sign (NSEC and NSEC3, CSK
// and KSK/ZSK, Ed25519 and ECDSA P-256) pass ldns-verify-zone and BIND's
// dnssec-verify.
func TestInteropSignerVerified(t *testing.T) {
	text, err := os.ReadFile("testdata/example.zone")
	if err != nil {
		t.Fatal(err)
	}
	base, err := parseText("example.", string(text))
	if err != nil {
		t.Fatal(err)
	}
	zsk := testKey(3)
	zsk.Flags = dnswire.DNSKEYZone
	configs := map[string]SignConfig{
		"csk-nsec":      {Keys: []SigningKey{testKey(1)}},
		"two-algs-nsec": {Keys: []SigningKey{p256Key(t, 0), zsk}},
		"csk-nsec3":     {Keys: []SigningKey{p256Key(t, 0)}, NSEC3: &dnswire.NSEC3PARAM{HashAlg: 1}},
		"kskzsk-nsec3s": {Keys: []SigningKey{testKey(1), zsk}, NSEC3: &dnswire.NSEC3PARAM{HashAlg: 1, Iterations: 5, Salt: []byte{1, 2, 3, 4}}},
	}
	ran := false
	for name, cfg := range configs {
		z, err := Sign(base, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var buf bytes.Buffer
		z.WriteTo(&buf)
		f := filepath.Join(t.TempDir(), "example.signed")
		os.WriteFile(f, buf.Bytes(), 0o644)
		if _, err := exec.LookPath("ldns-verify-zone"); err == nil {
			ran = true
			if out, err := exec.Command("ldns-verify-zone", f).CombinedOutput(); err != nil {
				t.Errorf("%s: ldns-verify-zone: %v\n%s", name, err, out)
			}
		}
		if _, err := exec.LookPath("dnssec-verify"); err == nil {
			ran = true
			// -z: a key with the SEP flag may sign everything (CSK).
			if out, err := exec.Command("dnssec-verify", "-z", "-o", "example.", f).CombinedOutput(); err != nil {
				t.Errorf("%s: dnssec-verify: %v\n%s", name, err, out)
			}
		}
	}
	if !ran {
		t.Skip("neither ldns-verify-zone nor dnssec-verify installed")
	}
}
