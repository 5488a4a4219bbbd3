package main

import (
	"github.com/relaykit/relaykit/internal/postfixtest"
)

// postfixTarget is Postfix from a private configuration directory.
type postfixTarget struct{}

func (postfixTarget) start(mode, dir string) (*server, error) {
	s, err := postfixtest.Start(postfixtest.Config{
		Dir:            dir,
		MaildirDomains: []string{"postfix.test"},
		Hold:           mode == "queued",
	})
	if err != nil {
		return nil, err
	}
	srv := &server{addr: s.Addr, rcpt: "bob@postfix.test", pid: s.MasterPID(), stop: s.Stop}
	if mode == "queued" {
		srv.count = func() (int, error) { return s.QueueCount("hold") }
	} else {
		srv.count = s.Delivered
	}
	return srv, nil
}
