// Package examples holds runnable programs built from relaykit's packages,
// one per subdirectory: the whole Alice-to-Bob path, a dig-like lookup tool
// with a trace, and a small relay.
package examples
