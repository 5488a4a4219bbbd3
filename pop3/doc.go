// Package pop3 implements the Post Office Protocol version 3 (RFC 1939):
// a Server that serves maildrops through a small Backend interface, and a
// Client for user agents and mail fetchers.
//
// # What is implemented
//
//   - RFC 1939: USER, PASS, APOP, STAT, LIST, RETR, DELE, NOOP, RSET,
//     QUIT, TOP and UIDL; the AUTHORIZATION, TRANSACTION and UPDATE
//     states, deletions applied only on QUIT; dot-stuffing of multi-line
//     responses.
//   - RFC 2449: CAPA (listing only what the connection can use now),
//     RESP-CODES, PIPELINING, IMPLEMENTATION, and the [IN-USE] and
//     [LOGIN-DELAY]-free subset of response codes: [AUTH], [SYS/TEMP],
//     [SYS/PERM], [IN-USE] (RFC 3206 AUTH-RESP-CODE).
//   - RFC 2595 STLS, and implicit TLS (RFC 8314) when Serve is given a
//     tls.NewListener or the Client a *tls.Conn.
//   - RFC 5034 SASL AUTH with the PLAIN mechanism (RFC 4616).
//
// # Security
//
// Passwords are checked through an Authenticator; PasswordFile is one
// that reads salted PBKDF2-SHA256 hashes (crypto/pbkdf2). USER, PASS and
// AUTH are neither offered nor accepted before STLS unless
// AllowInsecureAuth is set. Every failed login is answered after a
// delay; a connection is closed after MaxLoginFailures failures, and a
// client address that failed MaxLoginFailuresPerIP times within
// LoginFailureWindow is refused further logins for the rest of that
// window. A maildrop is locked while a session is in the TRANSACTION
// state: a second login for the same user gets [IN-USE].
//
// # Departures
//
//   - Command lines may end in a bare LF as well as CRLF (lines carry no
//     message data in POP3, so this opens no smuggling route).
//   - Message text is sent with every line ending as CRLF whatever the
//     store holds (Maildir files have LF endings); a message that does not
//     end in a line ending gets one before the terminating ".".
//   - AUTH without arguments lists the mechanisms, as Dovecot and the
//     pre-RFC 5034 clients that probe with it expect.
package pop3
