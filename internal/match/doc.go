// Package match groups waiting players into three-seat tables.
//
// A player joins a mode's queue with a Ticket. The Matcher forms groups of
// three whose ratings lie within a window that widens the longer the oldest
// of them has waited; modes with bots fill a table with bots after a
// configured wait (at once for practice). Callers see the queue through the
// Queue interface, so a cluster-wide queue can replace the in-process one
// without changing them.
//
// Invariants: a ticket is matched at most once; a user holds at most one
// ticket, from Join until the table is handed over (Formed returned) or
// the ticket is cancelled.
//
// Concurrency: one mutex guards the queues; Run is the only goroutine that
// forms tables, and it calls Formed and Notify without holding the mutex.
// The package imports only status (for the errors clients see).
package match
