//go:build ignore

// gen_captures runs NSD on 127.0.0.1 with capture.example.zone, sends it
// the queries listed below over UDP or TCP, and writes each raw response
// to NAME.bin beside this file. Run from this directory:
//
//	go run gen_captures.go
//
// It needs /usr/sbin/nsd (Debian package nsd). The files it writes are
// committed; capture_test.go checks what they contain.
package main

import (
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

type query struct {
	file    string
	name    string
	t       dnswire.Type
	edns    bool
	do      bool
	version uint8
	cookie  bool
	tcp     bool
}

var queries = []query{
	{file: "mx-edns", name: "capture.example.", t: dnswire.TypeMX, edns: true},
	{file: "soa", name: "capture.example.", t: dnswire.TypeSOA},
	{file: "txt", name: "capture.example.", t: dnswire.TypeTXT},
	{file: "txt-multi", name: "multi.capture.example.", t: dnswire.TypeTXT},
	{file: "cname", name: "www.capture.example.", t: dnswire.TypeA},
	{file: "nxdomain", name: "nope.capture.example.", t: dnswire.TypeA, edns: true},
	{file: "nodata", name: "capture.example.", t: dnswire.TypeAAAA},
	{file: "srv", name: "_sip._tcp.capture.example.", t: dnswire.TypeSRV},
	{file: "caa", name: "capture.example.", t: dnswire.TypeCAA},
	{file: "ptr", name: "7.capture.example.", t: dnswire.TypePTR},
	{file: "unknown-type", name: "opaque.capture.example.", t: dnswire.Type(65280)},
	{file: "big-udp-tc", name: "big.capture.example.", t: dnswire.TypeTXT},
	{file: "big-tcp", name: "big.capture.example.", t: dnswire.TypeTXT, tcp: true},
	{file: "refused", name: "other.example.", t: dnswire.TypeA},
	{file: "mixed-case", name: "CaPtUrE.ExAmPlE.", t: dnswire.TypeNS},
	{file: "referral", name: "x.sub.capture.example.", t: dnswire.TypeA},
	{file: "badvers", name: "capture.example.", t: dnswire.TypeSOA, edns: true, version: 1},
	{file: "do-bit", name: "capture.example.", t: dnswire.TypeNS, edns: true, do: true},
	{file: "cookie", name: "capture.example.", t: dnswire.TypeA, edns: true, cookie: true},
	{file: "any-tcp", name: "capture.example.", t: dnswire.TypeANY, tcp: true},
}

const port = 53853

func main() {
	dir, err := os.MkdirTemp("", "nsd-capture")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	zone, err := os.ReadFile("capture.example.zone")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "capture.example.zone"), zone, 0o644); err != nil {
		log.Fatal(err)
	}
	conf := fmt.Sprintf(`server:
	ip-address: 127.0.0.1@%d
	port: %d
	username: ""
	chroot: ""
	zonesdir: %q
	pidfile: %q
	database: ""
	zonelistfile: %q
	xfrdfile: %q
	xfrdir: %q
	logfile: %q
	server-count: 1
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: capture.example
	zonefile: capture.example.zone
`, port, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "zone.list"),
		filepath.Join(dir, "xfrd.state"), dir, filepath.Join(dir, "nsd.log"))
	cf := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/nsd", "-d", "-c", cf)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Wait for NSD to answer.
	for i := 0; ; i++ {
		if _, err := ask(addr, queries[1], 1); err == nil {
			break
		}
		if i > 50 {
			log.Fatal("nsd does not answer")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i, q := range queries {
		resp, err := ask(addr, q, uint16(0x5000+i))
		if err != nil {
			log.Fatalf("%s: %v", q.file, err)
		}
		if err := os.WriteFile(q.file+".bin", resp, 0o644); err != nil {
			log.Fatal(err)
		}
		var m dnswire.Msg
		if err := m.Unpack(resp); err != nil {
			log.Printf("%s: %v", q.file, err)
		}
		log.Printf("%s: %d bytes, %v tc=%v", q.file, len(resp), m.RCode, m.Truncated)
	}
}

func ask(addr string, q query, id uint16) ([]byte, error) {
	var m dnswire.Msg
	m.ID = id
	name, err := dnswire.ParseName(q.name)
	if err != nil {
		return nil, err
	}
	m.SetQuestion(name, q.t)
	if q.edns {
		m.SetEDNS(1232, q.do)
		m.EDNS.Version = q.version
		if q.cookie {
			m.EDNS.Options = append(m.EDNS.Options, dnswire.CookieOption(dnswire.Cookie{Client: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}))
		}
	}
	wire, err := m.AppendPack(nil)
	if err != nil {
		return nil, err
	}
	network := "udp"
	if q.tcp {
		network = "tcp"
	}
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if q.tcp {
		if err := dnswire.WriteTCP(c, wire); err != nil {
			return nil, err
		}
		return dnswire.ReadTCP(c, nil)
	}
	if _, err := c.Write(wire); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
