// Package cluster carries requests and events between LordGame services over NATS.
//
// Services talk to each other through [Bus]: request/reply with a deadline,
// publish/subscribe on subjects, and queue groups in which each message
// reaches one member. Every method maps one-to-one onto a NATS operation, so
// the same code runs against the nats-server embedded in the all-in-one
// process ([Embedded], nothing listens unless [Config].Listen is set) and
// against an external NATS cluster ([Connect]). Every subject the project
// uses is built by [Subjects] (subjects.go) under one prefix, so deployments
// and test runs that share a NATS server never hear each other.
//
// The package owns the NATS connection and, when embedded, the server. It
// knows nothing about games and must not import any other LordGame package.
// The conformance suite for any Bus lives in cluster/clustertest.
//
// Concurrency: every Bus method is safe for concurrent use. The handlers of
// one subscription run one at a time, in arrival order, on a goroutine owned
// by the connection; to handle messages in parallel, subscribe several times
// in one queue group. [NATS.Close] drains: it stops new deliveries, waits
// for running handlers and flushes pending publishes, then closes the
// connection and shuts down the embedded server. [NATS.Run] blocks until its
// context ends and then does the same. The only lock, NATS.mu, guards the
// in-flight handler count and is never held while calling out.
package cluster
