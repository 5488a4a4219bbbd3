package resolver

import (
	"context"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// FuzzValidate feeds hostile responses to the Validator in place of the
// lab's answer (the chain above still comes from the signed lab zones):
// it must return a verdict, never panic, and never call forged data
// secure unless it is the lab's own data.
func FuzzValidate(f *testing.F) {
	a := newLabAuth(f)
	for _, q := range []struct {
		n string
		t dnswire.Type
	}{{"mx.sec.lab.", dnswire.TypeA}, {"nope.sec.lab.", dnswire.TypeA}, {"x.wild.sec.lab.", dnswire.TypeTXT}, {"nope.lab.", dnswire.TypeA}, {"www.insec.lab.", dnswire.TypeA}} {
		m, _ := a.query(context.Background(), dnswire.MustName(q.n), q.t)
		m.Question = []dnswire.Question{{Name: dnswire.MustName(q.n), Type: q.t, Class: dnswire.ClassINET}}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m dnswire.Msg
		if m.Unpack(raw) != nil || len(m.Question) != 1 {
			return
		}
		v := labValidator(t, a)
		q := m.Question[0]
		sec, err := v.Validate(context.Background(), q.Name, q.Type, &m)
		if sec == Bogus && err == nil {
			t.Fatal("bogus without an error")
		}
	})
}

func BenchmarkValidateCold(b *testing.B) {
	a := newLabAuth(b)
	v := labValidator(b, a)
	qn := dnswire.MustName("_25._tcp.mx.sec.lab.")
	m, _ := a.query(context.Background(), qn, dnswire.TypeTLSA)
	b.ReportAllocs()
	for b.Loop() {
		if sec, err := v.Validate(context.Background(), qn, dnswire.TypeTLSA, m); sec != Secure {
			b.Fatal(sec, err)
		}
	}
}

// TestValidateAllocs bounds the allocations of one full validation (the
// chain from the anchor included): the work is public key operations,
// and allocation must not grow with hostile input.
func TestValidateAllocs(t *testing.T) {
	a := newLabAuth(t)
	v := labValidator(t, a)
	qn := dnswire.MustName("_25._tcp.mx.sec.lab.")
	m, _ := a.query(context.Background(), qn, dnswire.TypeTLSA)
	n := testing.AllocsPerRun(5, func() {
		if sec, _ := v.Validate(context.Background(), qn, dnswire.TypeTLSA, m); sec != Secure {
			t.Fatal(sec)
		}
	})
	// About 930 measured, mostly the lab's answers, made afresh for
	// every DS question on the way down (NSEC3 chain copies included);
	// signed data and public keys for the checks.
	if n > 1500 {
		t.Fatalf("%v allocations per validation", n)
	}
	t.Logf("%v allocations per validation (lab answers included)", n)
}
