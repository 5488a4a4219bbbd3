// Package resolver is a caching iterative DNS resolver: it starts from the
// root servers, follows referrals through the TLD servers to the
// authoritative servers, caches what it learns for its TTL, and can serve
// its answers to other hosts as a local DNS server. It builds on dnswire.
package resolver
