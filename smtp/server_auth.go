package smtp

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"time"
)

func (c *Conn) handleStartTLS() {
	s := c.srv
	switch {
	case s.TLSConfig == nil:
		c.bw.WriteString("454 4.7.0 TLS not available\r\n")
		return
	case c.tlsState != nil:
		c.bw.WriteString("503 5.5.1 TLS already active\r\n")
		return
	}
	// RFC 3207 4: 220 then the handshake.
	c.bw.WriteString("220 2.0.0 Ready to start TLS\r\n")
	if err := c.bw.Flush(); err != nil {
		c.quit = true
		return
	}
	// RFC 3207 6 (and CVE-2011-0411): anything the client sent after
	// STARTTLS in plaintext is discarded, never executed after the
	// handshake. Reset drops the buffered bytes.
	c.br.Reset(&c.rd)
	tc := tls.Server(c.raw, s.TLSConfig)
	c.raw.SetDeadline(time.Now().Add(s.commandTimeout()))
	if err := tc.HandshakeContext(c.ctx); err != nil {
		// Garbage or a failed handshake: there is no channel left to
		// reply on (RFC 3207 4.1 lets the server close).
		s.logDebug("TLS handshake failed", "remote", c.raw.RemoteAddr(), "err", err)
		c.quit = true
		return
	}
	c.raw.SetDeadline(time.Time{})
	c.rd.set, c.wr.set = time.Time{}, time.Time{}
	st := tc.ConnectionState()
	c.mu.Lock()
	c.nc = tc
	c.mu.Unlock()
	c.tlsState = &st
	// RFC 3207 4.2: discard all knowledge obtained from the client; the
	// client must send EHLO again. The Session is replaced too, so it
	// sees the TLS state from its start.
	c.resetTx()
	c.helo, c.esmtp, c.authed, c.ehloCache = "", false, false, ""
	c.sess.Logout(c.ctx)
	c.sess = nil
	sess, err := s.Backend.NewSession(c.ctx, c)
	if err != nil {
		c.replyError(err, 421, EnhancedCode{4, 3, 2}, "Service not available, closing transmission channel")
		c.quit = true
		return
	}
	c.sess = sess
}

// handleAuth runs an AUTH exchange (RFC 4954 4) for PLAIN (RFC 4616) or
// LOGIN.
func (c *Conn) handleAuth(arg []byte) {
	a, ok := c.sess.(Authenticator)
	switch {
	case !ok:
		c.bw.WriteString("502 5.5.1 AUTH not supported\r\n")
		return
	case c.tlsState == nil && !c.srv.AllowInsecureAuth:
		// RFC 4954 4 / 6: 538 when encryption is required.
		c.bw.WriteString("538 5.7.11 Encryption required for requested authentication mechanism\r\n")
		return
	case !c.esmtp:
		c.bw.WriteString("503 5.5.1 Send EHLO first\r\n")
		return
	case c.authed:
		// RFC 4954 4: one successful AUTH per session.
		c.bw.WriteString("503 5.5.1 Already authenticated\r\n")
		return
	case c.inTx:
		// RFC 4954 4: not during a mail transaction.
		c.bw.WriteString("503 5.5.1 AUTH not allowed during a mail transaction\r\n")
		return
	}
	mech, ir, hasIR := bytes.Cut(arg, []byte(" "))
	var mechanism string
	switch {
	case equalFold(mech, "PLAIN"):
		mechanism = "PLAIN"
	case equalFold(mech, "LOGIN"):
		mechanism = "LOGIN"
	default:
		c.bw.WriteString("504 5.5.4 Unrecognized authentication type\r\n")
		return
	}
	// Copy the initial response: reading continuation lines reuses the
	// buffer arg points into.
	var first []byte
	if hasIR {
		first = append([]byte(nil), bytes.TrimSpace(ir)...)
	}
	var identity, username, password string
	if mechanism == "PLAIN" {
		resp, ok := c.authResponse(first, hasIR, "334 \r\n")
		if !ok {
			return
		}
		// RFC 4616 2: [authzid] NUL authcid NUL passwd
		parts := bytes.Split(resp, []byte{0})
		if len(parts) != 3 || len(parts[1]) == 0 {
			c.bw.WriteString("501 5.5.2 Malformed PLAIN response\r\n")
			return
		}
		identity, username, password = string(parts[0]), string(parts[1]), string(parts[2])
	} else {
		// LOGIN: "Username:" and "Password:" prompts, base64-encoded.
		u, ok := c.authResponse(first, hasIR, "334 VXNlcm5hbWU6\r\n")
		if !ok {
			return
		}
		username = string(u)
		p, ok := c.authResponse(nil, false, "334 UGFzc3dvcmQ6\r\n")
		if !ok {
			return
		}
		password = string(p)
	}
	if err := a.Auth(c.ctx, mechanism, identity, username, password); err != nil {
		c.authFailed(err, mechanism)
		return
	}
	c.authed = true
	c.bw.WriteString("235 2.7.0 Authentication successful\r\n")
}

// authResponse returns the decoded client response: the initial response
// if given, else the line after the challenge prompt. It answers errors
// itself and then reports false.
func (c *Conn) authResponse(initial []byte, has bool, prompt string) ([]byte, bool) {
	resp := initial
	if !has {
		c.bw.WriteString(prompt)
		line, err := c.readCommand(maxAuthLine + 2)
		if err != nil {
			if !c.handleReadError(err) {
				c.quit = true
			}
			return nil, false
		}
		resp = line
	}
	if string(resp) == "*" {
		// RFC 4954 4: the client cancelled.
		c.bw.WriteString("501 5.7.0 Authentication cancelled\r\n")
		return nil, false
	}
	if string(resp) == "=" {
		// RFC 4954 4: "=" is an empty initial response.
		return []byte{}, true
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(resp)))
	n, err := base64.StdEncoding.Decode(out, resp)
	if err != nil {
		c.bw.WriteString("501 5.5.2 Cannot decode response\r\n")
		return nil, false
	}
	return out[:n], true
}
