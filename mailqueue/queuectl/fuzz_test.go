package queuectl

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseRequest: any line is parsed without panic into args or an
// error wrapping ErrBadRequest; args written back with AppendRequest parse
// to the same args.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"", "\n", `["list","-to","bob@"]`, `["hold","0123456789abcdef"]` + "\n", "[]", "null", `[1]`,
		`["a\u0000\n"]`, "[\"\xff\"]", `["x"] trailing`, "mailq", `[` + strings.Repeat(`"",`, 100) + `""]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		args, err := ParseRequest(line)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) || args != nil {
				t.Fatalf("error %v with args %q", err, args)
			}
			return
		}
		if len(args) == 0 {
			t.Fatal("no args and no error")
		}
		req := AppendRequest(nil, args)
		if bytes.IndexByte(req, '\n') != len(req)-1 {
			t.Fatalf("request %q has a newline inside", req)
		}
		again, err := ParseRequest(req)
		if err != nil || !slices.Equal(args, again) {
			t.Fatalf("%q -> %q -> %q, %v", line, req, again, err)
		}
	})
}

// FuzzReadAnswer: any answer is read without panic; when it has a status
// line, the output is everything before it.
func FuzzReadAnswer(f *testing.F) {
	for _, s := range []string{"status 0\n", "a\nstatus 1 boom\n", "status 2\n", "", "x", "status 0",
		strings.Repeat("y", 5000) + "\nstatus 0\n", "status 999\n", "\nstatus 0\r\n",
		"status 00 x\n", "status 0x\n", "status 255 m\n", "status 256\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, answer []byte) {
		var out bytes.Buffer
		err := ReadAnswer(bytes.NewReader(answer), &out)
		var ce *CommandError
		switch {
		case err == nil || errors.As(err, &ce):
			if !bytes.HasPrefix(answer, out.Bytes()) {
				t.Fatalf("output %q is not the start of %q", out.Bytes(), answer)
			}
			status := answer[out.Len():]
			if !bytes.HasPrefix(status, []byte("status ")) || bytes.IndexByte(status, '\n') != len(status)-1 {
				t.Fatalf("status line %q", status)
			}
			// Status 0 is "status 0" alone, or before a message or CR.
			zero := bytes.HasPrefix(status, []byte("status 0")) && strings.IndexByte(" \r\n", status[len("status 0")]) >= 0
			if (err == nil) != zero {
				t.Fatalf("%q: %v", status, err)
			}
		case errors.Is(err, ErrNoStatus):
			if !bytes.Equal(out.Bytes(), answer) {
				t.Fatalf("without a status, output %q, want all of %q", out.Bytes(), answer)
			}
		default:
			t.Fatalf("error %v", err)
		}
	})
}
