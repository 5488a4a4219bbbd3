// Package smtp implements the Simple Mail Transfer Protocol (RFC 5321) and
// the extensions real peers use: the command and reply codec, DATA
// dot-stuffing, a Server that calls application code through a Backend, and
// a Client that carries many messages over one connection.
//
// # What is implemented
//
//   - RFC 5321: commands HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, VRFY,
//     EXPN (refused), HELP, QUIT; paths (4.1.2) with quoted local parts,
//     address literals, source routes (accepted and dropped), the null
//     reverse-path and <Postmaster>; the size limits of 4.5.3.1 and the
//     timeouts of 4.5.3.2, on both sides.
//   - RFC 1870 SIZE, RFC 2920 PIPELINING, RFC 3030 CHUNKING (BDAT),
//     RFC 3207 STARTTLS (and implicit TLS, RFC 8314, when Serve is given
//     a tls.NewListener or the Client a *tls.Conn), RFC 3461 DSN
//     parameters (RET, ENVID, NOTIFY, ORCPT, with xtext), RFC 3463 and
//     RFC 2034 enhanced status codes,
//     RFC 4954 AUTH with PLAIN (RFC 4616) and LOGIN, RFC 6152 8BITMIME,
//     RFC 6531 SMTPUTF8 (UTF-8 local parts and U-label domains), RFC 2033
//     LMTP on the server and the client.
//
// # Safety
//
// A line ends only at CRLF. In message data a bare CR or bare LF is never
// a line ending: DataReader keeps reading to the real CRLF.CRLF and then
// reports ErrBareLineEnding, and the Server refuses the message with
// 554 5.6.0, so SMTP smuggling (<LF>.<LF>, <LF>.<CR><LF>, <CR><LF>.<LF>,
// <CR>.<CR> followed by pipelined commands) cannot produce a second
// message. The same holds for BDAT chunks. Command lines must end in CRLF.
// Bytes a client sends after STARTTLS in plaintext are discarded, and the
// session (and the Backend's Session) starts afresh after the handshake.
// AUTH is offered only under TLS unless Server.AllowInsecureAuth is set;
// the Client refuses to send credentials without TLS except to loopback.
// The Client checks every address against the Mailbox grammar and
// xtext-encodes parameter values, so no input can inject a command.
// Every reader is bounded: line lengths, reply lines, path parts,
// recipients, message size and the time each step may take. Refused data
// (DATA past the size limit, refused BDAT chunks) is read to its end so
// the session stays usable, but only up to twice the size limit (at least
// 1 MiB); past that the server answers 552 and closes the connection.
// After Server.MaxErrors unrecognised or malformed commands (default 100)
// the server answers 421 and closes, so a peer that does not speak SMTP
// cannot keep a connection busy. Failed AUTH exchanges are slowed (the
// delay doubles per recent failure from the client's address, up to 15 s)
// and logged, and the third on a connection closes it (Server.AuthLimits).
//
// # Departures from the RFCs
//
//   - Message data with bare CR or LF is refused, where RFC 5321 2.3.8
//     leaves it to the implementation; binary content needs BDAT with
//     BINARYMIME, which is not offered.
//   - A space after "MAIL FROM:" and "RCPT TO:" is tolerated, as most
//     servers do; a path without angle brackets is refused.
//   - Text lines of message data are limited to 1000 octets (RFC 5321
//     4.5.3.1.6) by default, where many servers accept longer ones;
//     Server.MaxDataLine raises or removes the limit.
//   - Reply lines may be up to 2048 octets by default rather than 512
//     (RFC 5321 4.5.3.1.5 says implementations SHOULD accept longer).
//   - EXPN is answered 502 and VRFY 252 (RFC 5321 3.5.3, 7.3).
//   - HELO/EHLO arguments are not checked against the connection's
//     address (RFC 5321 4.1.4 forbids refusing on that ground).
//   - DSN parameters are parsed and passed to the Session; producing
//     delivery status notifications is the application's job. The Client
//     omits DSN parameters when the server does not offer DSN.
package smtp
