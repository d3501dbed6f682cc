package transport

import (
	"encoding/json"
	"errors"
	"strconv"
)

// JSON text mode: one WebSocket text message is one JSON object
//
//	{"kind":"request","seq":1,"route":"sys.echo","body":{...}}
//
// where body is the protojson form of the route's message. Responses with
// the error flag carry "error":{"code":"not_found","message":"...","rule":"..."}
// instead of "body". A client may name a route by "route" (its name) or
// "route_id" (its number).

type jsonEnvelope struct {
	Kind    string          `json:"kind"`
	Seq     uint32          `json:"seq"`
	Route   string          `json:"route"`
	RouteID uint16          `json:"route_id"`
	Body    json.RawMessage `json:"body"`
}

// ErrBadJSON is returned for a text message that is not a JSON envelope.
var ErrBadJSON = errors.New("transport: text message is not a valid JSON envelope")

// DecodeJSON decodes a JSON text mode message. The body is the raw JSON of
// the "body" member (nil when absent or null).
func DecodeJSON(msg []byte, maxBody int) (Frame, error) {
	if len(msg) > maxBody+HeaderWS {
		return Frame{}, ErrFrameTooLarge
	}
	var env jsonEnvelope
	if err := json.Unmarshal(msg, &env); err != nil {
		return Frame{}, ErrBadJSON
	}
	k, ok := KindFromString(env.Kind)
	if !ok {
		return Frame{}, ErrBadKind
	}
	f := Frame{Kind: k, Seq: env.Seq, Route: env.RouteID, RouteName: env.Route}
	if len(env.Body) > 0 && string(env.Body) != "null" {
		f.Body = env.Body
	}
	return f, nil
}

// AppendJSON appends f as a JSON text mode message. f.Body must already be
// JSON (an object); with FlagError it is written as "error", else as "body".
func AppendJSON(dst []byte, f *Frame) []byte {
	dst = append(dst, `{"kind":"`...)
	dst = append(dst, f.Kind.String()...)
	dst = append(dst, '"')
	if f.Seq != 0 {
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, uint64(f.Seq), 10)
	}
	if f.RouteName != "" {
		dst = append(dst, `,"route":`...)
		dst = strconv.AppendQuote(dst, f.RouteName)
	}
	if f.Route != 0 {
		dst = append(dst, `,"route_id":`...)
		dst = strconv.AppendUint(dst, uint64(f.Route), 10)
	}
	if len(f.Body) > 0 {
		if f.Flags&FlagError != 0 {
			dst = append(dst, `,"error":`...)
		} else {
			dst = append(dst, `,"body":`...)
		}
		dst = append(dst, f.Body...)
	}
	return append(dst, '}')
}
