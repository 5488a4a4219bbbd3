package dnswire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"
)

var tsigKey = &TSIGKey{Name: MustName("registrar-key."), Algorithm: HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}

func tsigKeys(n Name) *TSIGKey {
	if n.Equal(tsigKey.Name) {
		return tsigKey
	}
	return nil
}

func signedQuery(t *testing.T, at time.Time) []byte {
	t.Helper()
	m := NewUpdate(MustName("edu."))
	m.ID = 0xBEEF
	m.UpdateAdd(RR{RRHeader: RRHeader{Name: MustName("hamburger.edu."), Type: TypeNS, Class: ClassINET, TTL: 3600}, Data: &NS{Host: MustName("dns.hamburger.edu.")}})
	w, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := SignTSIG(w, TSIGSign{Key: tsigKey, Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTSIGRoundTrip(t *testing.T) {
	at := time.Unix(1767225600, 0)
	s := signedQuery(t, at)
	res, err := VerifyTSIG(s, TSIGVerify{Keys: tsigKeys, Now: at.Add(100 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.TimeSigned != uint64(at.Unix()) || res.Record.Fudge != 300 || len(res.Record.MAC) != 32 || res.Record.OriginalID != 0xBEEF {
		t.Errorf("record %v", res.Record.String())
	}
	// The signed message parses, TSIG last in the additional section.
	var m Msg
	if err := m.Unpack(s); err != nil {
		t.Fatal(err)
	}
	if len(m.Extra) != 1 || m.Extra[0].Type != TypeTSIG {
		t.Fatalf("extra %v", m.Extra)
	}
	if _, ok := m.Extra[0].Data.(*TSIG); !ok {
		t.Fatalf("data %T", m.Extra[0].Data)
	}
	// Pack of the unpacked message gives the same bytes (MAC intact).
	again, err := m.Pack()
	if err != nil || !bytes.Equal(again, s) {
		t.Errorf("repack differs: %v", err)
	}
	// A changed ID (a forwarder) still verifies: the original ID is used.
	s2 := append([]byte(nil), s...)
	s2[0], s2[1] = 0x12, 0x34
	if _, err := VerifyTSIG(s2, TSIGVerify{Keys: tsigKeys, Now: at}); err != nil {
		t.Errorf("changed ID: %v", err)
	}

	// Response signing covers the request MAC.
	resp := NewUpdate(MustName("edu."))
	resp.ID = 0xBEEF
	resp.Response = true
	rw, _ := resp.Pack()
	signed, rmac, err := SignTSIG(rw, TSIGSign{Key: tsigKey, Time: at, RequestMAC: res.Record.MAC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyTSIG(signed, TSIGVerify{Keys: tsigKeys, Now: at, RequestMAC: res.Record.MAC}); err != nil {
		t.Errorf("response: %v", err)
	}
	if _, err := VerifyTSIG(signed, TSIGVerify{Keys: tsigKeys, Now: at, RequestMAC: []byte("other")}); !errors.Is(err, ErrTSIGBadSig) {
		t.Errorf("response with wrong request MAC: %v", err)
	}
	// Multi-message: the next message covers the prior MAC and timers.
	next, _, err := SignTSIG(rw, TSIGSign{Key: tsigKey, Time: at, PriorMAC: rmac})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyTSIG(next, TSIGVerify{Keys: tsigKeys, Now: at, PriorMAC: rmac}); err != nil {
		t.Errorf("second message: %v", err)
	}
	if _, err := VerifyTSIG(next, TSIGVerify{Keys: tsigKeys, Now: at, RequestMAC: rmac}); !errors.Is(err, ErrTSIGBadSig) {
		t.Errorf("second message verified as a first: %v", err)
	}
}

func TestTSIGErrors(t *testing.T) {
	at := time.Unix(1767225600, 0)
	s := signedQuery(t, at)
	v := TSIGVerify{Keys: tsigKeys, Now: at}
	tamper := append([]byte(nil), s...)
	tamper[20] ^= 1
	other := &TSIGKey{Name: tsigKey.Name, Algorithm: HMACSHA256, Secret: []byte("wrong")}
	sha512Key := &TSIGKey{Name: tsigKey.Name, Algorithm: HMACSHA512, Secret: tsigKey.Secret}
	tests := []struct {
		name string
		msg  []byte
		v    TSIGVerify
		want error
		code RCode
	}{
		{"tampered", tamper, v, ErrTSIGBadSig, RCodeBadSig},
		{"wrong secret", s, TSIGVerify{Keys: func(Name) *TSIGKey { return other }, Now: at}, ErrTSIGBadSig, RCodeBadSig},
		{"unknown key", s, TSIGVerify{Now: at}, ErrTSIGBadKey, RCodeBadKey},
		{"algorithm mismatch", s, TSIGVerify{Keys: func(Name) *TSIGKey { return sha512Key }, Now: at}, ErrTSIGBadKey, RCodeBadKey},
		{"too late", s, TSIGVerify{Keys: tsigKeys, Now: at.Add(301 * time.Second)}, ErrTSIGBadTime, RCodeBadTime},
		{"too early", s, TSIGVerify{Keys: tsigKeys, Now: at.Add(-301 * time.Second)}, ErrTSIGBadTime, RCodeBadTime},
		{"unsigned", s[:len(s)-80], v, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyTSIG(tt.msg, tt.v)
			if tt.want == nil {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if !errors.Is(err, tt.want) || TSIGCode(err) != tt.code {
				t.Errorf("got %v (code %d), want %v", err, TSIGCode(err), tt.want)
			}
		})
	}
	// Legacy algorithms only when allowed.
	md5Key := &TSIGKey{Name: tsigKey.Name, Algorithm: HMACMD5, Secret: tsigKey.Secret}
	m := NewUpdate(MustName("edu."))
	w, _ := m.Pack()
	if _, _, err := SignTSIG(w, TSIGSign{Key: md5Key}); !errors.Is(err, ErrTSIGBadKey) {
		t.Errorf("MD5 without AllowLegacy: %v", err)
	}
	sm, _, err := SignTSIG(w, TSIGSign{Key: md5Key, AllowLegacy: true, Time: at})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyTSIG(sm, TSIGVerify{Keys: func(Name) *TSIGKey { return md5Key }, Now: at}); !errors.Is(err, ErrTSIGBadKey) {
		t.Errorf("MD5 verify without AllowLegacy: %v", err)
	}
	if _, err := VerifyTSIG(sm, TSIGVerify{Keys: func(Name) *TSIGKey { return md5Key }, Now: at, AllowLegacy: true}); err != nil {
		t.Errorf("MD5 verify with AllowLegacy: %v", err)
	}
}

// A TSIG that is not the last record is malformed (RFC 8945 5.1).
func TestTSIGNotLast(t *testing.T) {
	at := time.Unix(1767225600, 0)
	s := signedQuery(t, at)
	var m Msg
	if err := m.Unpack(s); err != nil {
		t.Fatal(err)
	}
	m.Extra = append(m.Extra, RR{RRHeader: RRHeader{Name: MustName("x."), Type: TypeA, Class: ClassINET}, Data: &A{Addr: netip.MustParseAddr("192.0.2.1")}})
	w, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyTSIG(w, TSIGVerify{Keys: tsigKeys, Now: at}); !errors.Is(err, ErrTSIGFormat) {
		t.Errorf("got %v", err)
	}
}

func FuzzVerifyTSIG(f *testing.F) {
	at := time.Unix(1767225600, 0)
	m := NewUpdate(MustName("edu."))
	w, _ := m.Pack()
	s, _, _ := SignTSIG(w, TSIGSign{Key: tsigKey, Time: at})
	f.Add(s)
	f.Add(w)
	f.Fuzz(func(t *testing.T, msg []byte) {
		res, err := VerifyTSIG(msg, TSIGVerify{Keys: tsigKeys, Now: at})
		if err == nil && (res == nil || res.Key == nil) {
			t.Fatal("verified without a key")
		}
		if res != nil {
			_ = res.Record.String()
			// Re-signing the unsigned form must verify.
			if len(res.Unsigned) >= HeaderLen && err == nil {
				s2, _, err := SignTSIG(res.Unsigned, TSIGSign{Key: tsigKey, Time: at})
				if err != nil {
					return
				}
				if _, err := VerifyTSIG(s2, TSIGVerify{Keys: tsigKeys, Now: at}); err != nil {
					t.Fatalf("re-signed message does not verify: %v", err)
				}
			}
		}
	})
}
