// Package status carries the protocol's closed list of error codes through the
// server, so that every layer can say what kind of failure happened and the
// gateway can put it on the wire without guessing.
package status

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Code is one of the protocol's error codes. The list is closed: clients
// switch on these strings and on the matching numeric enum in proto.
type Code string

// The closed list of error codes (docs/protocol.md, "Errors").
const (
	BadRequest      Code = "bad_request"
	Unauthenticated Code = "unauthenticated"
	Forbidden       Code = "forbidden"
	NotFound        Code = "not_found"
	Conflict        Code = "conflict"
	RateLimited     Code = "rate_limited"
	Unavailable     Code = "unavailable"
	Internal        Code = "internal"
)

// Codes lists every code in protocol order.
var Codes = []Code{BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, RateLimited, Unavailable, Internal}

// Valid reports whether c is in the closed list.
func (c Code) Valid() bool {
	for _, k := range Codes {
		if k == c {
			return true
		}
	}
	return false
}

// HTTPStatus is the HTTP status that goes with a code in the /v1 API.
func (c Code) HTTPStatus() int {
	switch c {
	case BadRequest:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case RateLimited:
		return http.StatusTooManyRequests
	case Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Error is an error that a client may see: a code and a human message.
// The message must not contain internal details (paths, SQL, secrets).
type Error struct {
	Code    Code
	Message string
	// Rule optionally names the game rule that was broken (e.g.
	// "not_your_turn"), so clients can react without parsing Message.
	Rule string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// New returns an *Error with the given code and message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// RuleError returns an *Error for a broken game rule.
func RuleError(code Code, rule, msg string) *Error {
	return &Error{Code: code, Message: msg, Rule: rule}
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// From extracts the client-visible error from err. A cancelled or timed-out
// context is unavailable; anything else that is not (or does not wrap) an
// *Error is reported as internal with a generic message, so internal
// details never reach a client.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	// Work cut off by its deadline or by a cancel (the caller gave up, or
	// the server is shutting down and hands the work on) is not a fault of
	// the server's: the client may try again.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: Unavailable, Message: "the request was cut off (its deadline passed or the server is shutting down): try again"}
	}
	return &Error{Code: Internal, Message: "internal error"}
}

// CodeOf returns the code of err (Internal for errors that carry none).
func CodeOf(err error) Code { return From(err).Code }
