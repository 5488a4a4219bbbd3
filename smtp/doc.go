// Package smtp implements the Simple Mail Transfer Protocol (RFC 5321) and
// the extensions real peers use: the command and reply codec, DATA
// dot-stuffing, a Server that calls application code through a Backend, and
// a Client that carries many messages over one connection.
package smtp
