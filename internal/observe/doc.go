// Package observe builds the server's loggers and Prometheus metrics.
//
// Nothing here is global: cmd/lordgame creates one Registry and one logger
// and hands them to each component.
package observe
