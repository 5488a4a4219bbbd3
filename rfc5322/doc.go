// Package rfc5322 reads and writes the Internet Message Format (RFC 5322):
// header fields in order with their raw bytes, addresses, dates, Message-IDs,
// RFC 6532 UTF-8 headers and RFC 2047 encoded words, and composes and
// validates messages.
package rfc5322
