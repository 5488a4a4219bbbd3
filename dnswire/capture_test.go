package dnswire

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The captures in testdata/captures are raw responses from NSD 4.6.1
// serving testdata/captures/capture.example.zone on 127.0.0.1 (written by
// gen_captures.go). Each .txt beside a .bin is the message as Msg.String
// prints it; set DNSWIRE_UPDATE_GOLDEN=1 to rewrite them.
func TestCaptures(t *testing.T) {
	files, err := filepath.Glob("testdata/captures/*.bin")
	if err != nil || len(files) < 20 {
		t.Fatalf("captures: %v %v", files, err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var m Msg
		if err := m.Unpack(raw); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		n, err := walkAll(raw)
		if err != nil {
			t.Errorf("%s: Parser: %v", file, err)
		}
		want := len(m.Question) + len(m.Answer) + len(m.Ns) + len(m.Extra)
		if m.EDNS != nil {
			want++
		}
		if n != want {
			t.Errorf("%s: Parser walked %d entries, Msg has %d", file, n, want)
		}
		packed, err := m.AppendPack(nil)
		if err != nil {
			t.Errorf("%s: pack: %v", file, err)
			continue
		}
		var back Msg
		if err := back.Unpack(packed); err != nil || back.String() != m.String() {
			t.Errorf("%s: round trip: %v\n%s", file, err, back.String())
		}
		// NSD compresses like we do, so repacking gives its bytes back.
		// (The OPT record is last in NSD's output too.)
		if !bytes.Equal(packed, raw) {
			t.Errorf("%s: repacked bytes differ from NSD's\n got %x\nwant %x", file, packed, raw)
		}
		golden := strings.TrimSuffix(file, ".bin") + ".txt"
		if os.Getenv("DNSWIRE_UPDATE_GOLDEN") != "" {
			if err := os.WriteFile(golden, []byte(m.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		g, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if m.String() != string(g) {
			t.Errorf("%s: text differs from %s:\n%s", file, golden, m.String())
		}
	}
}

func TestCaptureDetails(t *testing.T) {
	load := func(name string) *Msg {
		raw, err := os.ReadFile("testdata/captures/" + name + ".bin")
		if err != nil {
			t.Fatal(err)
		}
		m := new(Msg)
		if err := m.Unpack(raw); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := load("big-udp-tc"); !m.Truncated || len(m.Answer) != 0 {
		t.Error("big-udp-tc: NSD sets TC and sends no partial answer")
	}
	if m := load("big-tcp"); m.Truncated || len(m.Answer) != 4 {
		t.Error("big-tcp: all four TXT records over TCP")
	}
	// RFC 6891 6.1.3: BADVERS (16) is split between header and OPT.
	if m := load("badvers"); m.RCode != RCodeBadVers || m.EDNS == nil {
		t.Errorf("badvers: rcode %v", m.RCode)
	}
	// RFC 4343: the server echoes the question's case.
	if m := load("mixed-case"); m.Question[0].Name.String() != "CaPtUrE.ExAmPlE." {
		t.Errorf("mixed-case: question %v", m.Question[0].Name)
	}
	if m := load("unknown-type"); m.Answer[0].Data.String() != `\# 6 c00c01020304` {
		t.Errorf("unknown-type: %v", m.Answer[0].Data)
	}
	if m := load("nxdomain"); m.RCode != RCodeNameError || len(m.Ns) != 1 || m.Ns[0].Type != TypeSOA {
		t.Error("nxdomain: SOA in authority (RFC 2308 3)")
	}
	if m := load("referral"); m.Authoritative || len(m.Ns) != 1 || len(m.Extra) != 1 {
		t.Errorf("referral: %s", m)
	}
	if m := load("refused"); m.RCode != RCodeRefused {
		t.Errorf("refused: %v", m.RCode)
	}
	m := load("txt-multi")
	txt := m.Answer[0].Data.(*TXT)
	if len(txt.Strings) != 3 || string(txt.Strings[1]) != `second with "quotes"` || string(txt.Strings[2]) != "\x00\xff" {
		t.Errorf("txt-multi: %q", txt.Strings)
	}
}

// Unpack into a warm Msg allocates nothing for any of the real responses
// (TXT, SOA, CAA, SRV, EDNS options and unknown types included).
func TestCapturesUnpackAllocs(t *testing.T) {
	files, _ := filepath.Glob("testdata/captures/*.bin")
	var m Msg
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// Warm up on every capture, then measure each.
		if err := m.Unpack(raw); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range files {
		raw, _ := os.ReadFile(file)
		if a := testing.AllocsPerRun(20, func() {
			if err := m.Unpack(raw); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: %v allocs per Unpack", file, a)
		}
	}
}
