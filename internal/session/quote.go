package session

import "encoding/json"

// appendQuote appends s as a JSON string.
func appendQuote(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
