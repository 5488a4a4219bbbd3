// Package internal groups relaykit's shared low-level helpers and test
// harnesses. Each lives in its own subpackage; nothing here is part of the
// public API.
package internal
