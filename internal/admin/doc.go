// Package admin is the access model of the admin console: the three
// console roles, the actions each may take and the check every admin API
// makes, and the spans of the actions (trace.go). It holds no state and
// does no I/O; cmd/lordgame serves the API and the console and writes the
// audit log.
package admin
