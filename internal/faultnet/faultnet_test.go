package faultnet

import (
	"net"
	"testing"
)

func TestEMFILEListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	el := &EMFILEListener{Listener: l}
	_, err = el.Accept()
	if ne, ok := err.(*net.OpError); !ok || !ne.Temporary() || !el.Failed() {
		t.Fatalf("first Accept: %v (%T), want a temporary *net.OpError", err, err)
	}
	go net.Dial("tcp", l.Addr().String())
	c, err := el.Accept()
	if err != nil {
		t.Fatalf("second Accept: %v", err)
	}
	c.Close()
}
