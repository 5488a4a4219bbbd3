package pop3

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Authenticator checks a user's password. It returns nil for a match,
// ErrAuthFailed (or an error wrapping it) for a wrong user or password,
// and any other error when it cannot decide (answered [SYS/TEMP]).
type Authenticator interface {
	Authenticate(ctx context.Context, user, password string) error
}

// APOPAuthenticator is an Authenticator that can also give the shared
// secret APOP (RFC 1939 7) needs in clear. The server offers APOP (a
// timestamp in its greeting) only when its Authenticator is one.
type APOPAuthenticator interface {
	Authenticator
	// Secret returns user's shared secret, or ErrAuthFailed.
	Secret(ctx context.Context, user string) (string, error)
}

// Secrets is an APOPAuthenticator from a map of user name to clear
// password, for tests and for deployments that must offer APOP (which
// needs the secret in clear on the server).
type Secrets map[string]string

// Authenticate compares in constant time.
func (s Secrets) Authenticate(_ context.Context, user, password string) error {
	want, ok := s[user]
	if subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 || !ok {
		return ErrAuthFailed
	}
	return nil
}

// Secret returns user's password.
func (s Secrets) Secret(_ context.Context, user string) (string, error) {
	if p, ok := s[user]; ok {
		return p, nil
	}
	return "", ErrAuthFailed
}

// checkAPOP reports whether digest is MD5(timestamp + secret) in lower
// case hex (RFC 1939 7).
func checkAPOP(timestamp, secret, digest string) bool {
	sum := md5.Sum([]byte(timestamp + secret))
	want := hex.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(digest))) == 1
}

// PasswordFile is an Authenticator over a file of salted password
// hashes, one "user:hash" a line ("#" starts a comment), where hash is
//
//	$pbkdf2-sha256$<iterations>$<salt>$<key>
//
// with salt and key in unpadded standard base64 (the form Python's
// passlib writes, adapted to its standard alphabet). PBKDF2 (RFC 8018)
// with SHA-256 is what the standard library can verify (crypto/pbkdf2);
// HashPassword makes such lines.
type PasswordFile struct {
	users map[string]pbkdf2Hash
	dummy pbkdf2Hash // checked for unknown users, so timing does not tell
}

type pbkdf2Hash struct {
	iter      int
	salt, key []byte
}

// Maximum PBKDF2 iterations a file may ask for, so a hostile file cannot
// make each login spin for minutes.
const maxPBKDF2Iterations = 10_000_000

// DefaultPBKDF2Iterations is HashPassword's iteration count when given 0
// (OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256 is 600,000).
const DefaultPBKDF2Iterations = 600_000

// HashPassword returns a PasswordFile hash of password with a random
// 16-byte salt.
func HashPassword(password string, iterations int) (string, error) {
	if iterations <= 0 {
		iterations = DefaultPBKDF2Iterations
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		return "", fmt.Errorf("pop3: %w", err)
	}
	enc := base64.RawStdEncoding
	return "$pbkdf2-sha256$" + strconv.Itoa(iterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

func parseHash(s string) (pbkdf2Hash, bool) {
	f := strings.Split(s, "$")
	if len(f) != 5 || f[0] != "" || f[1] != "pbkdf2-sha256" {
		return pbkdf2Hash{}, false
	}
	iter, err := strconv.Atoi(f[2])
	if err != nil || iter < 1 || iter > maxPBKDF2Iterations {
		return pbkdf2Hash{}, false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(strings.TrimRight(f[3], "="))
	key, err2 := enc.DecodeString(strings.TrimRight(f[4], "="))
	if err1 != nil || err2 != nil || len(key) < 16 || len(key) > 64 || len(salt) > 1024 {
		return pbkdf2Hash{}, false
	}
	return pbkdf2Hash{iter, salt, key}, true
}

// ReadPasswordFile reads a password file.
func ReadPasswordFile(r io.Reader) (*PasswordFile, error) {
	pf := &PasswordFile{users: map[string]pbkdf2Hash{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		h, hok := parseHash(hash)
		if !ok || user == "" || !hok {
			return nil, fmt.Errorf("pop3: password file line %d: %w", n, ErrCommandSyntax)
		}
		pf.users[user] = h
		if pf.dummy.iter == 0 {
			pf.dummy = pbkdf2Hash{h.iter, make([]byte, len(h.salt)), make([]byte, len(h.key))}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pop3: password file: %w", err)
	}
	return pf, nil
}

// Authenticate checks password against user's hash.
func (pf *PasswordFile) Authenticate(ctx context.Context, user, password string) error {
	h, ok := pf.users[user]
	if !ok {
		h = pf.dummy
		if h.iter == 0 {
			return ErrAuthFailed
		}
	}
	key, err := pbkdf2.Key(sha256.New, password, h.salt, h.iter, len(h.key))
	if err != nil {
		return fmt.Errorf("pop3: %w", err)
	}
	if subtle.ConstantTimeCompare(key, h.key) != 1 || !ok {
		return ErrAuthFailed
	}
	return nil
}

// failLimiter counts failed logins per client address within a window.
type failLimiter struct {
	mu   sync.Mutex
	byIP map[netip.Addr]*failRecord
}

type failRecord struct {
	n     int
	start time.Time
}

// maxTrackedAddrs bounds the limiter's memory; past it, expired records
// are pruned and new addresses are not tracked until some expire.
const maxTrackedAddrs = 100_000

// blocked reports whether ip has used up its failures in the window.
func (l *failLimiter) blocked(ip netip.Addr, now time.Time, limit int, window time.Duration) bool {
	if !ip.IsValid() || limit <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.byIP[ip]
	if r == nil {
		return false
	}
	if now.Sub(r.start) >= window {
		delete(l.byIP, ip)
		return false
	}
	return r.n >= limit
}

// fail records a failure from ip.
func (l *failLimiter) fail(ip netip.Addr, now time.Time, window time.Duration) {
	if !ip.IsValid() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byIP == nil {
		l.byIP = map[netip.Addr]*failRecord{}
	}
	r := l.byIP[ip]
	if r != nil && now.Sub(r.start) >= window {
		r = nil
	}
	if r == nil {
		if len(l.byIP) >= maxTrackedAddrs {
			for k, v := range l.byIP {
				if now.Sub(v.start) >= window {
					delete(l.byIP, k)
				}
			}
			if len(l.byIP) >= maxTrackedAddrs {
				return
			}
		}
		r = &failRecord{start: now}
		l.byIP[ip] = r
	}
	r.n++
}
