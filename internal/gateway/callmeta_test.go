package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/session"
)

func TestCallMetaRoundTrip(t *testing.T) {
	for _, tc := range []callMeta{
		{},
		{user: 42, timeout: 3 * time.Second, session: "s-1"},
		{user: 1 << 60, timeout: time.Millisecond, hops: 1, from: "gw-7", roles: "admin,player", session: "abc.def"},
		{user: 9, roles: "player"},
	} {
		got, err := parseCallMeta(tc.header())
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if got != tc {
			t.Errorf("round trip: got %+v, want %+v", got, tc)
		}
	}
}

func TestCallMetaRefusesMalformed(t *testing.T) {
	for _, v := range []string{
		"", "42", "42 100 0 -", "x 100 0 - - s", "-5 100 0 - - s", "42 -1 0 - - s",
		"42 100 x - - s", "42 100 0 - - a b", "42 100 0 - a\fb s", "42 100 0 g\x80 - s", "42 9223372036854775807 0 - - s", "42 100 -1 - - s", "42 1.5 0 - - s",
	} {
		if meta, err := parseCallMeta(cluster.Header{hdrCall: {v}}); err == nil {
			t.Errorf("%q: parsed as %+v, want an error", v, meta)
		}
	}
	// A far deadline of server-side code is carried as the longest
	// timeout a node accepts, not as a header it refuses.
	ctx, cancel := context.WithTimeout(context.Background(), 400*24*time.Hour)
	defer cancel()
	meta := callMetaOf(ctx, &Call{Session: session.Detached("s", 7, nil, session.ModeWS)})
	if got, err := parseCallMeta(meta.header()); err != nil || got.timeout != maxCallTimeoutMs*time.Millisecond {
		t.Errorf("a 400-day deadline: %+v, %v; want the longest timeout", got, err)
	}
	if _, err := parseCallMeta(cluster.Header{}); err == nil {
		t.Error("no Lg-Call header: parsed, want an error")
	}
}

// FuzzCallMeta: any header value either fails to parse or parses into a
// meta that encodes back to what parses the same.
func FuzzCallMeta(f *testing.F) {
	f.Add("42 100 0 - - s-1")
	f.Add("1 1 1 gw admin,player a b c")
	f.Add("0 0 0 - -")
	f.Fuzz(func(t *testing.T, v string) {
		meta, err := parseCallMeta(cluster.Header{hdrCall: {v}})
		if err != nil {
			return
		}
		h := meta.header()
		if v := h.Get(hdrCall); strings.TrimSpace(v) != v {
			t.Fatalf("%+v: header %q has space NATS would trim", meta, v)
		}
		again, err := parseCallMeta(h)
		if err != nil {
			t.Fatalf("%q parsed as %+v, whose header does not parse: %v", v, meta, err)
		}
		if again != meta {
			t.Fatalf("%q: %+v, then %+v", v, meta, again)
		}
	})
}
