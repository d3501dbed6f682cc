package cluster

import (
	"strconv"
	"strings"
)

// JoinIDs writes user ids as a header value: decimal, comma-separated.
func JoinIDs(ids []int64) string {
	var b []byte
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// ParseIDs reads a JoinIDs value; entries that are not positive ids are
// skipped.
func ParseIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	var out []int64
	for f := range strings.SplitSeq(s, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}
