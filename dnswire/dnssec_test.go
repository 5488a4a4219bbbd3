package dnswire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// RFC 4034 5.4 and RFC 4509 2.3: the same key with its SHA-1 and SHA-256
// DS records; RFC 6605 6.2 for SHA-384.
func TestKeyTagAndDS(t *testing.T) {
	for _, c := range []struct {
		key, ds string
	}{
		{"dskey.example.com. 86400 IN DNSKEY 256 3 5 ( AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/ 2pHm822aJ5iI9BMzNXxeYCmZ DRD99WYwYqUSdjMmmAphXdvx egXd/M5+X7OrzKBaMbCVdFLU Uh6DhweJBjEVv5f2wwjM9Xzc nOf+EPbtG9DMBmADjFDc2w/r ljwvFw== )",
			"dskey.example.com. 86400 IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A 98631FAD1A292118 )"},
		{"dskey.example.com. 86400 IN DNSKEY 256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
			"dskey.example.com. 86400 IN DS 60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"},
		{"example.net. 3600 IN DNSKEY 257 3 14 ( xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1 w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8 /uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40 )",
			"example.net. 3600 IN DS 10771 14 4 ( 72d7b62976ce06438e9c0bf319013cf801f09ecc84b8 d7e9495f27e305c6a9b0563a9b5f4d288405c3008a94 6df983d6 )"},
	} {
		krr := mustZoneRR(t, c.key)
		want := mustZoneRR(t, c.ds).Data.(*DS)
		k := krr.Data.(*DNSKEY)
		if got := k.KeyTag(); got != want.KeyTag {
			t.Errorf("%s: key tag %d, want %d", krr.Name, got, want.KeyTag)
		}
		// The owner's case does not matter (RFC 4034 5.1.4: canonical form).
		upper := MustName(toUpper(krr.Name.String()))
		ds, err := k.ToDS(upper, want.DigestType)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ds.Digest, want.Digest) || ds.KeyTag != want.KeyTag || ds.Algorithm != want.Algorithm {
			t.Errorf("%s digest %d: got %s, want %s", krr.Name, want.DigestType, ds, want)
		}
	}
	k := &DNSKEY{Flags: 256, Protocol: 3, Algorithm: 8, PublicKey: []byte{1, 2, 3}}
	if _, err := k.ToDS(MustName("x."), 3); !errors.Is(err, ErrUnsupportedDigest) {
		t.Fatalf("GOST: %v", err)
	}
	// RFC 4034 B.1: algorithm 1 takes the tag from the modulus.
	k = &DNSKEY{Flags: 256, Protocol: 3, Algorithm: 1, PublicKey: []byte{9, 9, 0xAB, 0xCD, 0xEF}}
	if k.KeyTag() != 0xABCD {
		t.Fatalf("RSAMD5 tag %x", k.KeyTag())
	}
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func mustZoneRR(t *testing.T, s string) RR {
	t.Helper()
	rrs, err := ReadZone(bytes.NewReader([]byte(s+"\n")), ZoneConfig{})
	if err != nil || len(rrs) != 1 {
		t.Fatalf("%s: %v", s, err)
	}
	return rrs[0]
}

// RFC 4034 6.2 and 6.3: lower-cased owner and embedded names (not NSEC's,
// RFC 6840 5.1), original TTL, order by RDATA, duplicates removed.
func TestCanonicalForm(t *testing.T) {
	mx1 := mustZoneRR(t, "Example.COM. 300 IN MX 10 MX.Example.COM.")
	w, err := AppendCanonicalRR([]byte{0xFF}, &mx1, 3600)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("ff" + "076578616d706c6503636f6d00" + "000f0001" + "00000e10" + "0012" + "000a" + "026d78076578616d706c6503636f6d00")
	if !bytes.Equal(w, want) {
		t.Fatalf("canonical MX\n got % x\nwant % x", w, want)
	}
	nsec := mustZoneRR(t, "a.example. 300 IN NSEC B.Example. A")
	w, _ = AppendCanonicalRR(nil, &nsec, 300)
	if !bytes.Contains(w, []byte("\x01B\x07Example")) {
		t.Fatalf("NSEC next name lowered: % x", w)
	}
	minfo := RR{RRHeader: RRHeader{Name: MustName("x."), Type: TypeMINFO, Class: ClassINET},
		Data: &Unknown{T: TypeMINFO, Data: []byte("\x01A\x00\x01B\x00")}}
	w, _ = AppendCanonicalRR(nil, &minfo, 0)
	if !bytes.HasSuffix(w, []byte("\x01a\x00\x01b\x00")) {
		t.Fatalf("MINFO names not lowered: % x", w)
	}

	set := []RR{
		mustZoneRR(t, "x. 60 IN A 192.0.2.2"),
		mustZoneRR(t, "x. 60 IN A 192.0.2.1"),
		mustZoneRR(t, "x. 60 IN A 192.0.2.2"),
	}
	set, err = SortCanonical(set)
	if err != nil || len(set) != 2 || set[0].Data.String() != "192.0.2.1" {
		t.Fatalf("sorted %v %v", set, err)
	}
	// Shorter RDATA sorts first when it is a prefix (left-justified).
	txt := []RR{mustZoneRR(t, `x. 60 IN TXT "ab"`), mustZoneRR(t, `x. 60 IN TXT "a"`)}
	txt, _ = SortCanonical(txt)
	if txt[0].Data.String() != `"a"` {
		t.Fatalf("TXT order %v", txt)
	}
}

func TestSignedDataWildcard(t *testing.T) {
	sig := &RRSIG{TypeCovered: TypeA, Algorithm: 13, Labels: 2, OrigTTL: 60, Expiration: 2, Inception: 1,
		KeyTag: 7, SignerName: MustName("Example.")}
	rr := mustZoneRR(t, "a.b.example. 30 IN A 192.0.2.1")
	d, err := SignedData(sig, []RR{rr})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(d, []byte("\x07example\x00\x01*\x01b\x07example\x00\x00\x01\x00\x01\x00\x00\x00\x3c")) {
		t.Fatalf("signed data % x", d)
	}
}
