package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// args is a parsed command line.
type args struct {
	Server string // host or host:port, from @server
	Port   int    // -p; 53 if zero
	Name   dnswire.Name
	Type   dnswire.Type
	Query  queryOptions
	Trace  bool
	Roots  []string // -root host:port list
	words  []string // the command line, for the banner
}

// parseArgs accepts dig's syntax (@server, +option, positional name and
// type) and Go-style -flags.
func parseArgs(argv []string) (*args, error) {
	a := &args{Type: dnswire.TypeA, words: argv}
	var pos []string
	value := func(i *int, flag string) (string, error) {
		if *i+1 >= len(argv) {
			return "", fmt.Errorf("dnslookup: %s needs a value", flag)
		}
		*i++
		return argv[*i], nil
	}
	for i := 0; i < len(argv); i++ {
		w := argv[i]
		switch {
		case strings.HasPrefix(w, "@"):
			a.Server = w[1:]
		case strings.HasPrefix(w, "+") || (strings.HasPrefix(w, "-") && len(w) > 1):
			opt := strings.TrimLeft(w, "+-")
			switch opt {
			case "tcp", "vc":
				a.Query.TCP = true
			case "norecurse", "norec":
				a.Query.NoRecurse = true
			case "noedns":
				a.Query.NoEDNS = true
			case "dnssec":
				a.Query.DO = true
			case "trace":
				a.Trace = true
			case "p", "port":
				v, err := value(&i, w)
				if err != nil {
					return nil, err
				}
				p, err := strconv.Atoi(v)
				if err != nil || p < 1 || p > 65535 {
					return nil, fmt.Errorf("dnslookup: bad port %q", v)
				}
				a.Port = p
			case "t", "type":
				v, err := value(&i, w)
				if err != nil {
					return nil, err
				}
				t, ok := dnswire.ParseType(strings.ToUpper(v))
				if !ok {
					return nil, fmt.Errorf("dnslookup: unknown type %q", v)
				}
				a.Type = t
			case "root":
				v, err := value(&i, w)
				if err != nil {
					return nil, err
				}
				for _, r := range strings.Split(v, ",") {
					if r = strings.TrimSpace(r); r != "" {
						a.Roots = append(a.Roots, joinPort(r, 53))
					}
				}
			case "timeout":
				v, err := value(&i, w)
				if err != nil {
					return nil, err
				}
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return nil, fmt.Errorf("dnslookup: bad timeout %q", v)
				}
				a.Query.Timeout = d
			default:
				return nil, fmt.Errorf("dnslookup: unknown option %q", w)
			}
		default:
			pos = append(pos, w)
		}
	}
	if len(pos) == 0 {
		return nil, errors.New("dnslookup: no name to look up")
	}
	if len(pos) > 2 {
		return nil, fmt.Errorf("dnslookup: too many arguments: %q", pos)
	}
	name := pos[0]
	if !strings.HasSuffix(name, ".") {
		name += "." // dig treats every name as absolute
	}
	n, err := dnswire.ParseName(name)
	if err != nil {
		return nil, fmt.Errorf("dnslookup: bad name %q: %w", pos[0], err)
	}
	a.Name = n
	if len(pos) == 2 {
		t, ok := dnswire.ParseType(strings.ToUpper(pos[1]))
		if !ok {
			return nil, fmt.Errorf("dnslookup: unknown type %q", pos[1])
		}
		a.Type = t
	}
	return a, nil
}

func (a *args) commandLine() string { return strings.Join(a.words, " ") }

// joinPort adds port (53 if zero) to host unless host already has one.
func joinPort(host string, port int) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if port == 0 {
		port = 53
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
}

// defaultServer returns the first nameserver in a resolv.conf(5) file, or
// 127.0.0.1 if there is none.
func defaultServer(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "127.0.0.1"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			return fields[1]
		}
	}
	return "127.0.0.1"
}
