// Package pgstore is a mailqueue.LeaseStore on PostgreSQL, so several
// queue nodes (relay processes on several machines) share one queue: each
// node claims due messages with a lease (SELECT ... FOR UPDATE SKIP
// LOCKED), and a node that dies leaves its leases to expire and its
// messages to the others.
//
// A mailqueue.Queue over a Store runs as one node of several (it claims
// through the leases; mailqueue Config.Shared is implied). examples/relaypg
// is the relay with this store behind its -postgres flag, and the relay's
// interop test runs three of its processes on one PostgreSQL, killing one
// mid-run (examples/internal/relay/nodes_interop_test.go).
//
// It lives in its own module (driver github.com/jackc/pgx/v5) so the
// relaykit core stays free of dependencies.
//
// One row per message holds the envelope and state (JSON) and the body
// (bytea), so the body is stored once however many recipients the message
// has. Open creates the schema, or migrates it, under an advisory lock, so
// nodes that start together do not race; the schema's version is kept in
// mailqueue_schema.
//
// Concurrent Puts on one Store share one transaction: the first to
// arrive leads a commit of one multi-row INSERT that carries every
// message queued meanwhile, and each Put returns when the commit holding
// its message has (commit.go). A commit that makes messages due sends
// one NOTIFY, never one per message, and under load at most one every
// 100 ms (PostgreSQL serializes notifying commits on a global lock; the
// node that stored the messages claims them itself, and the NOTIFY only
// brings idle nodes in). A Store whose Wakeups a queue uses LISTENs on a
// connection of its own, so an idle node claims at once instead of at its
// next poll (notify.go). The poll stays: a lost
// notification or a dropped LISTEN connection delays a message by at most
// mailqueue.Config.PollInterval, never loses it.
package pgstore
