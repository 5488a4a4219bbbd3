// Package dnswire reads and writes DNS messages in their wire format
// (RFC 1035 section 4): the 12-byte header, the question, answer, authority
// and additional sections, domain names and their compression, resource
// records, EDNS0 (RFC 6891), UPDATE (RFC 2136), presentation (zone-file)
// text and TCP length framing.
package dnswire
