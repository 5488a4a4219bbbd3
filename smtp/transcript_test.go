package smtp

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTranscripts replays testdata/*.txt against a Server over net.Pipe.
//
// Format, one directive per line:
//
//	# comment
//	!option [value]   server config before the first exchange: lmtp,
//	                  tls, insecureauth, noauth, maxrcpt N, maxsize N,
//	                  maxline N, maxdataline N
//	C: text           client sends text + CRLF; Go escapes (\r \n \t
//	                  \x00) are interpreted
//	C> text           client sends text without CRLF (escapes interpreted)
//	S: text           server sends this line; a trailing "*" matches any
//	                  rest
//	=messages N       the backend has accepted N messages so far
//	=data text        the last accepted message's data (escapes
//	                  interpreted)
//	=rcpts a,b        the last accepted message's recipients
//	=eof              the server has closed the connection
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runTranscript(t, f)
		})
	}
}

func unescape(t *testing.T, s string) string {
	t.Helper()
	u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
	if err != nil {
		t.Fatalf("bad escape in %q: %v", s, err)
	}
	return u
}

func runTranscript(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	be := &testBackend{}
	// Failed AUTH delays are tested in server_authlimit_test.go.
	s := &Server{Backend: be, Hostname: "mx.test", AuthLimits: AuthLimits{Delay: -1}}
	var lc *lineClient
	var pending strings.Builder
	flush := func() {
		if pending.Len() > 0 {
			lc.send(pending.String())
			pending.Reset()
		}
	}
	for n, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := file + ":" + strconv.Itoa(n+1)
		if strings.HasPrefix(line, "!") {
			if lc != nil {
				t.Fatalf("%s: option after the first exchange", where)
			}
			opt, val, _ := strings.Cut(line[1:], " ")
			num, _ := strconv.Atoi(val)
			switch opt {
			case "lmtp":
				s.LMTP, be.lmtp = true, true
			case "tls":
				s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{testCert(t)}}
			case "insecureauth":
				s.AllowInsecureAuth = true
			case "noauth":
				be.noAuth = true
			case "maxrcpt":
				s.MaxRecipients = num
			case "maxsize":
				s.MaxMessageBytes = int64(num)
			case "maxline":
				s.MaxCommandLine = num
			case "maxdataline":
				s.MaxDataLine = num
			default:
				t.Fatalf("%s: unknown option %q", where, opt)
			}
			continue
		}
		if lc == nil {
			lc = newLineClient(t, pipeServer(t, s))
		}
		switch {
		case strings.HasPrefix(line, "C: "):
			pending.WriteString(unescape(t, line[3:]) + "\r\n")
		case strings.HasPrefix(line, "C> "):
			pending.WriteString(unescape(t, line[3:]))
		case strings.HasPrefix(line, "S: "):
			flush()
			want := line[3:]
			got := lc.line()
			if strings.HasSuffix(want, "*") {
				if !strings.HasPrefix(got, strings.TrimSuffix(want, "*")) {
					t.Fatalf("%s: server said %q, want %q", where, got, want)
				}
			} else if got != want {
				t.Fatalf("%s: server said %q, want %q", where, got, want)
			}
		case strings.HasPrefix(line, "=messages "):
			flush()
			want, _ := strconv.Atoi(strings.TrimPrefix(line, "=messages "))
			if got := len(be.messages()); got != want {
				t.Fatalf("%s: backend has %d messages, want %d", where, got, want)
			}
		case strings.HasPrefix(line, "=data "):
			msgs := be.messages()
			if len(msgs) == 0 {
				t.Fatalf("%s: no message", where)
			}
			if got, want := string(msgs[len(msgs)-1].Data), unescape(t, line[6:]); got != want {
				t.Fatalf("%s: data %q, want %q", where, got, want)
			}
		case strings.HasPrefix(line, "=rcpts "):
			msgs := be.messages()
			if len(msgs) == 0 {
				t.Fatalf("%s: no message", where)
			}
			if got, want := strings.Join(msgs[len(msgs)-1].To, ","), line[7:]; got != want {
				t.Fatalf("%s: recipients %q, want %q", where, got, want)
			}
		case line == "=eof":
			flush()
			lc.expectEOF()
		default:
			t.Fatalf("%s: bad transcript line %q", where, line)
		}
	}
	flush()
}
