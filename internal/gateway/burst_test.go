package gateway_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestBurstGetsAnswersAndKick: a client that writes 600 requests at once
// and reads only afterwards (the default limits: 400 burst, 20 strikes)
// gets every answer the server wrote, rate_limited among them, then a kick
// with reason rate_limited and an orderly end of stream, not a reset that
// throws away what the server sent.
func TestBurstGetsAnswersAndKick(t *testing.T) {
	ts := start(t, nil, nil)
	r := rawTCP(t, ts)
	r.handshake(1)
	var burst bytes.Buffer
	for i := range 600 {
		burst.Write(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindRequest, Route: 1, Seq: uint32(i + 1)}))
	}
	if _, err := r.conn.Write(burst.Bytes()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the server handles the burst before the client reads a byte
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ok, limited int
	var kick *pb.Kick
	for {
		f, err := r.r.Next(nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("after %d answers (%d rate_limited), kick %v: %v", ok+limited, limited, kick, err)
		}
		switch {
		case f.Kind == transport.KindKick:
			kick = &pb.Kick{}
			_ = proto.Unmarshal(f.Body, kick)
		case f.Kind == transport.KindResponse && f.Flags == transport.FlagError && r.errCode(f) == pb.Code_CODE_RATE_LIMITED:
			limited++
		case f.Kind == transport.KindResponse && f.Flags == 0:
			ok++
		}
	}
	if ok < 400 || limited < 1 || kick == nil || kick.Reason != "rate_limited" {
		t.Fatalf("got %d answers, %d rate_limited, kick %v; want 400+, some, rate_limited", ok, limited, kick)
	}
}
