package mailqueue

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeRecord feeds arbitrary bytes to the spool's record decoders.
// Oracle: no panic, and whatever decodes re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	m := testMessage(5, "bob@example.com", "carol@example.net")
	m.Envelope.EnvID = "x"
	m.Envelope.Recipients[0].ORCPT = "rfc822;bob@example.com"
	m.State.Rcpts[1] = RcptState{Status: StatusFailed, Reply: "550 no", Enhanced: "5.1.1", RemoteMTA: "mx", Updated: time.Unix(5, 6)}
	f.Add(encodePutPayload(m))
	f.Add(appendEnvelope(nil, &m.Envelope))
	f.Add(appendState(nil, &m.State))
	f.Add([]byte{1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if env, err := decodeEnvelope(b); err == nil {
			if re := appendEnvelope(nil, &env); !bytes.Equal(re, b) {
				t.Fatalf("envelope round trip: %x -> %x", b, re)
			}
		}
		if st, err := decodeState(b); err == nil {
			if re := appendState(nil, &st); !bytes.Equal(re, b) {
				// Times decode to the same instant; encodings may differ
				// only if the input used a non-minimal varint.
				st2, err := decodeState(re)
				if err != nil || !reflect.DeepEqual(st, st2) {
					t.Fatalf("state round trip: %v", err)
				}
			}
		}
		if env, st, body, err := decodePutPayload(b); err == nil {
			m := &Message{Envelope: env, State: st, Body: body}
			env2, st2, body2, err := decodePutPayload(encodePutPayload(m))
			if err != nil || !reflect.DeepEqual(env, env2) || !reflect.DeepEqual(st, st2) || !bytes.Equal(body, body2) {
				t.Fatalf("put payload round trip: %v", err)
			}
		}
		decodePutMeta(b)
		parseRecHeader(b)
	})
}

// FuzzSpoolRecover opens a spool whose only segment holds arbitrary bytes
// after one good record. Oracle: Open never fails or panics on content,
// and the good record survives unless the damage reaches into it.
func FuzzSpoolRecover(f *testing.F) {
	good := segmentBytes(testMessage(1, "a@example.com"))
	f.Add([]byte{})
	f.Add(good[:len(good)/2])
	f.Add(append(bytes.Repeat([]byte{0}, 40), good...))
	f.Add(segmentBytes(testMessage(2, "b@example.com")))
	f.Fuzz(func(t *testing.T, tail []byte) {
		if len(tail) > 1<<16 {
			return
		}
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "seg"), 0o700)
		os.WriteFile(filepath.Join(dir, "seg", "00000001.log"), append(append([]byte(nil), good...), tail...), 0o600)
		s, err := OpenSpool(dir, SpoolConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n := 0
		s.Scan(context.Background(), func(sm Summary) error {
			if sm.Err == nil {
				if _, err := s.Get(context.Background(), sm.ID); err != nil {
					t.Fatalf("recovered %v but cannot read it: %v", sm.ID, err)
				}
				n++
			}
			return nil
		})
		if _, err := s.Get(context.Background(), 1); err != nil {
			t.Fatalf("good record lost: %v", err)
		}
		_ = n
	})
}

func segmentBytes(m *Message) []byte {
	p := encodePutPayload(m)
	rec := make([]byte, recHeaderLen)
	h := recHeader{typ: recPut, id: m.ID, seq: 1, n: uint32(len(p)), pcrc: crc32c(p)}
	h.put(rec)
	return append(rec, p...)
}
