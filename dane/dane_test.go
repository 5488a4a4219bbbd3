package dane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/tlstest"
)

type pki struct {
	root, inter *tlstest.CA
	leaf        *tlstest.Leaf // mx.example.com, issued by inter
}

func newPKI(t testing.TB, names []string, o tlstest.Options) pki {
	t.Helper()
	root, err := tlstest.New("root")
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.Sub("intermediate")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue(names, o)
	if err != nil {
		t.Fatal(err)
	}
	return pki{root, inter, leaf}
}

func TestVerify(t *testing.T) {
	p := newPKI(t, []string{"mx.example.com"}, tlstest.Options{})
	expired := newPKI(t, []string{"mx.example.com"}, tlstest.Options{NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-48 * time.Hour)})
	wildcard := newPKI(t, []string{"*.example.com"}, tlstest.Options{})
	other := newPKI(t, []string{"mx.example.com"}, tlstest.Options{})
	withRoot := append(append([]*x509.Certificate(nil), p.leaf.Full...), p.root.Cert)
	names := []string{"mx.example.com"}
	tests := []struct {
		name    string
		records []TLSA
		chain   []*x509.Certificate
		names   []string
		depth   int
		err     error // nil: match
		taErr   any   // pointer to the x509 error type expected in TAErr
	}{
		{"3 1 1", []TLSA{Record(DANEEE, SelectorSPKI, MatchSHA256, p.leaf.Cert)}, p.leaf.Full, names, 0, nil, nil},
		{"3 0 1", []TLSA{Record(DANEEE, SelectorCert, MatchSHA256, p.leaf.Cert)}, p.leaf.Full, names, 0, nil, nil},
		{"3 1 2", []TLSA{Record(DANEEE, SelectorSPKI, MatchSHA512, p.leaf.Cert)}, p.leaf.Full, names, 0, nil, nil},
		{"3 0 0", []TLSA{Record(DANEEE, SelectorCert, MatchFull, p.leaf.Cert)}, p.leaf.Full, names, 0, nil, nil},
		// RFC 7672 3.1.1: DANE-EE ignores the name and the dates.
		{"3 1 1 wrong name", []TLSA{Record(DANEEE, SelectorSPKI, MatchSHA256, p.leaf.Cert)}, p.leaf.Full, []string{"other.example.net"}, 0, nil, nil},
		{"3 1 1 expired", []TLSA{Record(DANEEE, SelectorSPKI, MatchSHA256, expired.leaf.Cert)}, expired.leaf.Full, names, 0, nil, nil},
		{"3 1 1 other key", []TLSA{Record(DANEEE, SelectorSPKI, MatchSHA256, other.leaf.Cert)}, p.leaf.Full, names, 0, ErrNoMatch, nil},
		{"3 1 1 on the intermediate", []TLSA{Record(DANEEE, SelectorSPKI, MatchSHA256, p.inter.Cert)}, p.leaf.Full, names, 0, ErrNoMatch, nil},
		{"2 0 1 intermediate", []TLSA{Record(DANETA, SelectorCert, MatchSHA256, p.inter.Cert)}, p.leaf.Full, names, 1, nil, nil},
		{"2 1 1 root in chain", []TLSA{Record(DANETA, SelectorSPKI, MatchSHA256, p.root.Cert)}, withRoot, names, 2, nil, nil},
		{"2 1 1 root not sent", []TLSA{Record(DANETA, SelectorSPKI, MatchSHA256, p.root.Cert)}, p.leaf.Full, names, 0, ErrNoMatch, nil},
		{"2 0 0 root not sent", []TLSA{Record(DANETA, SelectorCert, MatchFull, p.root.Cert)}, p.leaf.Full, names, -1, nil, nil},
		{"2 0 1 second name", []TLSA{Record(DANETA, SelectorCert, MatchSHA256, p.inter.Cert)}, p.leaf.Full, []string{"cname-target.example.net", "mx.example.com"}, 1, nil, nil},
		{"2 0 1 wildcard", []TLSA{Record(DANETA, SelectorCert, MatchSHA256, wildcard.inter.Cert)}, wildcard.leaf.Full, names, 1, nil, nil},
		// RFC 7672 3.2.2: DANE-TA checks the name and the dates.
		{"2 0 1 wrong name", []TLSA{Record(DANETA, SelectorCert, MatchSHA256, p.inter.Cert)}, p.leaf.Full, []string{"other.example.net"}, 0, ErrNoMatch, &x509.HostnameError{}},
		{"2 0 1 expired", []TLSA{Record(DANETA, SelectorCert, MatchSHA256, expired.inter.Cert)}, expired.leaf.Full, names, 0, ErrNoMatch, &x509.CertificateInvalidError{}},
		{"2 0 1 other CA", []TLSA{Record(DANETA, SelectorCert, MatchSHA256, other.inter.Cert)}, p.leaf.Full, names, 0, ErrNoMatch, nil},
		// RFC 7672 3.1.3: PKIX usages are unusable.
		{"1 1 1 only", []TLSA{Record(PKIXEE, SelectorSPKI, MatchSHA256, p.leaf.Cert)}, p.leaf.Full, names, 0, ErrNoUsableRecords, nil},
		{"0 0 1 only", []TLSA{Record(PKIXTA, SelectorCert, MatchSHA256, p.inter.Cert)}, p.leaf.Full, names, 0, ErrNoUsableRecords, nil},
		{"unknown matching type", []TLSA{{DANEEE, SelectorSPKI, 7, []byte{1, 2}}}, p.leaf.Full, names, 0, ErrNoUsableRecords, nil},
		{"short digest", []TLSA{{DANEEE, SelectorSPKI, MatchSHA256, []byte{1, 2}}}, p.leaf.Full, names, 0, ErrNoUsableRecords, nil},
		{"unusable then usable", []TLSA{Record(PKIXEE, SelectorSPKI, MatchSHA256, p.leaf.Cert), Record(DANEEE, SelectorSPKI, MatchSHA256, p.leaf.Cert)}, p.leaf.Full, names, 0, nil, nil},
		{"no certificate", []TLSA{Record(DANEEE, SelectorSPKI, MatchSHA256, p.leaf.Cert)}, nil, names, 0, ErrNoCertificate, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verifier{Records: tc.records, Names: tc.names}
			m, err := v.Verify(tc.chain)
			if tc.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if m.Depth != tc.depth || m.Record.Usage != tc.records[len(tc.records)-1].Usage {
					t.Fatalf("match %+v", m)
				}
				if m.Record.Usage == DANETA && m.Name == "" {
					t.Fatal("DANE-TA match without a name")
				}
				return
			}
			var ve *VerifyError
			if !errors.Is(err, tc.err) || !errors.As(err, &ve) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			switch want := tc.taErr.(type) {
			case *x509.HostnameError:
				if !errors.As(err, want) {
					t.Fatalf("TAErr %v, want a HostnameError", ve.TAErr)
				}
			case *x509.CertificateInvalidError:
				if !errors.As(err, want) || want.Reason != x509.Expired {
					t.Fatalf("TAErr %v, want expired", ve.TAErr)
				}
			}
		})
	}
}

// TestVerifyConnection runs real handshakes with TLSConfig.
func TestVerifyConnection(t *testing.T) {
	p := newPKI(t, []string{"mx.example.com"}, tlstest.Options{})
	other := newPKI(t, []string{"mx.example.com"}, tlstest.Options{})
	for _, tc := range []struct {
		rec TLSA
		ok  bool
	}{
		{Record(DANEEE, SelectorSPKI, MatchSHA256, p.leaf.Cert), true},
		{Record(DANETA, SelectorCert, MatchSHA256, p.inter.Cert), true},
		{Record(DANEEE, SelectorSPKI, MatchSHA256, other.leaf.Cert), false},
	} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var sni string
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc, err := l.Accept()
			if err != nil {
				return
			}
			srv := tls.Server(sc, &tls.Config{Certificates: []tls.Certificate{p.leaf.TLS}})
			srv.Handshake()
			sni = srv.ConnectionState().ServerName
			srv.Close()
		}()
		cc, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		v := &Verifier{Records: []TLSA{tc.rec}, Names: []string{"mx.example.com"}}
		cl := tls.Client(cc, v.TLSConfig(nil))
		err = cl.Handshake()
		cl.Close()
		<-done
		l.Close()
		if (err == nil) != tc.ok {
			t.Fatalf("%v: handshake err %v", tc.rec, err)
		}
		if tc.ok && sni != "mx.example.com" {
			t.Fatalf("SNI %q", sni)
		}
		if !tc.ok && !errors.Is(err, ErrNoMatch) {
			t.Fatalf("err %v", err)
		}
	}
}

func TestDecide(t *testing.T) {
	usable := TLSA{DANEEE, SelectorSPKI, MatchSHA256, make([]byte, 32)}
	unusable := TLSA{PKIXEE, SelectorSPKI, MatchSHA256, make([]byte, 32)}
	for _, tc := range []struct {
		res  Result
		err  error
		want Action
	}{
		{Result{Records: []TLSA{usable}, Verdict: Secure}, nil, Authenticate},
		{Result{Records: []TLSA{unusable}, Verdict: Secure}, nil, EncryptOnly},
		{Result{Verdict: Secure}, nil, NoDANE},
		{Result{Records: []TLSA{usable}, Verdict: Insecure}, nil, NoDANE},
		{Result{Records: []TLSA{usable}, Verdict: Bogus}, nil, Defer},
		{Result{Records: []TLSA{usable}}, nil, Defer}, // indeterminate
		{Result{}, errors.New("SERVFAIL"), Defer},
	} {
		if got := Decide(tc.res, tc.err); got != tc.want {
			t.Errorf("%+v %v: %v, want %v", tc.res, tc.err, got, tc.want)
		}
	}
}

func TestMapLookup(t *testing.T) {
	r := Result{Records: []TLSA{{DANEEE, SelectorSPKI, MatchSHA256, make([]byte, 32)}}, Verdict: Secure}
	m := MapLookup{"_25._tcp.MX.example.com.": r}
	got, err := m.LookupTLSA(context.Background(), TLSAName("mx.example.com.", 25))
	if err != nil || len(got.Records) != 1 {
		t.Fatal(got, err)
	}
	if got, _ := m.LookupTLSA(context.Background(), "_25._tcp.other.example"); got.Verdict != Secure || len(got.Records) != 0 {
		t.Fatal(got)
	}
}

func TestTLSAText(t *testing.T) {
	r, err := ParseTLSAText("3 1 1 0123456789ABCDEF 0123456789abcdef0123456789ABCDEF0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	want := TLSA{DANEEE, SelectorSPKI, MatchSHA256, []byte{1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}}
	if d := cmp.Diff(want, r); d != "" {
		t.Fatal(d)
	}
	if !r.Usable() {
		t.Fatal("not usable")
	}
	back, err := ParseTLSA(r.AppendRData(nil))
	if err != nil || !cmp.Equal(back, r) {
		t.Fatal(back, err)
	}
	for _, bad := range []string{"", "3 1 1", "3 1 1 0", "256 1 1 00", "3 1 1 zz", "-1 1 1 00", "3 1 x 00"} {
		if _, err := ParseTLSAText(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseTLSA([]byte{3, 1, 1}); !errors.Is(err, ErrShortRecord) {
		t.Fatal(err)
	}
}
