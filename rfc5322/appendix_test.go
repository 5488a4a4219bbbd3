package rfc5322

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The example messages of RFC 5322 Appendix A, in testdata/appendix-a,
// with what each field must parse to.
func TestAppendixA(t *testing.T) {
	type want struct {
		groups map[string][]Group // field -> ParseGroupList result
		date   string             // RFC 3339
		ids    map[string][]string
		body   string
	}
	g := func(name string, members ...Address) Group {
		return Group{Name: name, IsGroup: true, Members: members}
	}
	m := func(name, addr string) Group {
		return Group{Members: []Address{{Name: name, Addr: addr}}}
	}
	hello := "This is a message just to say hello.\r\nSo, \"Hello\".\r\n"
	tests := map[string]want{
		"a.1.1-simple.eml": {
			groups: map[string][]Group{"From": {m("John Doe", "jdoe@machine.example")}, "To": {m("Mary Smith", "mary@example.net")}},
			date:   "1997-11-21T09:55:06-06:00",
			ids:    map[string][]string{"Message-ID": {"1234@local.machine.example"}},
			body:   hello,
		},
		"a.1.1-sender.eml": {
			groups: map[string][]Group{"Sender": {m("Michael Jones", "mjones@machine.example")}},
			date:   "1997-11-21T09:55:06-06:00",
			body:   hello,
		},
		"a.1.2-different-types.eml": {
			groups: map[string][]Group{
				"From": {m("Joe Q. Public", "john.q.public@example.com")},
				"To":   {m("Mary Smith", "mary@x.test"), m("", "jdoe@example.org"), m("Who?", "one@y.test")},
				"Cc":   {m("", "boss@nil.test"), m(`Giant; "Big" Box`, "sysservices@example.net")},
			},
			date: "2003-07-01T10:52:37+02:00",
			ids:  map[string][]string{"Message-ID": {"5678.21-Nov-1997@example.com"}},
			body: "Hi everyone.\r\n",
		},
		"a.1.3-group.eml": {
			groups: map[string][]Group{
				"To": {g("A Group", Address{"Ed Jones", "c@a.test"}, Address{"", "joe@where.test"}, Address{"John", "jdoe@one.test"})},
				"Cc": {g("Undisclosed recipients")},
			},
			date: "1969-02-13T23:32:54-03:30",
			body: "Testing.\r\n",
		},
		"a.2-reply.eml": {
			groups: map[string][]Group{"Reply-To": {m("Mary Smith: Personal Account", "smith@home.example")}},
			date:   "1997-11-21T10:01:10-06:00",
			ids:    map[string][]string{"In-Reply-To": {"1234@local.machine.example"}, "References": {"1234@local.machine.example"}},
		},
		"a.2-reply-reply.eml": {
			groups: map[string][]Group{"To": {m("Mary Smith: Personal Account", "smith@home.example")}},
			ids:    map[string][]string{"References": {"1234@local.machine.example", "3456@example.net"}},
			date:   "1997-11-21T11:00:00-06:00",
		},
		"a.3-resent.eml": {
			groups: map[string][]Group{"Resent-From": {m("Mary Smith", "mary@example.net")}, "Resent-To": {m("Jane Brown", "j-brown@other.example")}},
			ids:    map[string][]string{"Resent-Message-ID": {"78910@example.net"}},
			date:   "1997-11-21T09:55:06-06:00",
		},
		"a.4-trace.eml": {
			groups: map[string][]Group{"From": {m("John Doe", "jdoe@node.example")}},
			date:   "1997-11-21T09:55:06-06:00",
			body:   hello,
		},
		"a.5-white-space-comments.eml": {
			groups: map[string][]Group{
				"From": {m("Pete", "pete@silly.test")},
				"To":   {g("A Group", Address{"Chris Jones", "c@public.example"}, Address{"", "joe@example.org"}, Address{"John", "jdoe@one.test"})},
				"Cc":   {g("Hidden recipients")},
			},
			date: "1969-02-13T23:32:00-03:30",
			ids:  map[string][]string{"Message-ID": {"testabcd.1234@silly.test"}},
			body: "Testing.\r\n",
		},
		"a.6.1-obsolete-addressing.eml": {
			groups: map[string][]Group{
				"From": {m("Joe Q. Public", "john.q.public@example.com")},
				"To":   {m("Mary Smith", "mary@example.net"), m("", "jdoe@test.example")},
			},
			date: "2003-07-01T10:52:37+02:00",
		},
		"a.6.2-obsolete-dates.eml": {
			date: "1997-11-21T09:55:06Z",
			body: hello,
		},
		"a.6.3-obsolete-white-space.eml": {
			groups: map[string][]Group{
				"From": {m("John Doe", "jdoe@machine.example")},
				"To":   {m("Mary Smith", "mary@example.net")},
			},
			date: "1997-11-21T09:55:06-06:00",
			ids:  map[string][]string{"Message-ID": {"1234@local.machine.example"}},
			body: hello,
		},
	}
	files, _ := filepath.Glob("testdata/appendix-a/*.eml")
	if len(files) != len(tests) {
		t.Fatalf("%d files, %d tests", len(files), len(tests))
	}
	for _, file := range files {
		name := filepath.Base(file)
		w, ok := tests[name]
		if !ok {
			t.Errorf("no test for %s", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			msg, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			h, n, err := ParseHeader(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(h); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if w.body != "" && string(msg[n:]) != w.body {
				t.Errorf("body %q", msg[n:])
			}
			for field, want := range w.groups {
				got, err := ParseGroupList(h.Get(field))
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %+v, %v\nwant %+v", field, got, err, want)
				}
			}
			if w.date != "" {
				d, err := ParseDate(h.Get("Date"))
				if err != nil || d.Format(time.RFC3339) != w.date {
					t.Errorf("Date: %v, %v", d, err)
				}
			}
			for field, want := range w.ids {
				got, err := ParseMsgIDList(h.Get(field))
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %q, %v", field, got, err)
				}
			}
			// Every Received field's date (after the last ';') parses.
			for _, r := range h.Values("Received") {
				i := strings.LastIndexByte(r, ';')
				if _, err := ParseDate(r[i+1:]); i < 0 || err != nil {
					t.Errorf("Received date: %v", err)
				}
			}
		})
	}
}
