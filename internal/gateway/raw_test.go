package gateway_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// raw speaks TCP frames by hand, for malformed-input tests.
type raw struct {
	t    *testing.T
	conn net.Conn
	r    *transport.TCPReader
}

func newRaw(t *testing.T, conn net.Conn) *raw {
	return &raw{t: t, conn: conn, r: &transport.TCPReader{R: bufio.NewReader(conn), MaxBody: 1 << 20}}
}

func (r *raw) send(kind transport.Kind, flags uint8, route uint16, seq uint32, body []byte) {
	r.t.Helper()
	b := transport.AppendTCP(nil, &transport.Frame{Kind: kind, Flags: flags, Route: route, Seq: seq, Body: body})
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *raw) next() transport.Frame {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := r.r.Next(nil)
	if err != nil {
		r.t.Fatalf("read frame: %v", err)
	}
	return f
}

func (r *raw) handshake(version uint32) transport.Frame {
	r.t.Helper()
	b, _ := proto.Marshal(&pb.Handshake{Version: version, Codec: "protobuf"})
	r.send(transport.KindHandshake, 0, 0, 0, b)
	return r.next()
}

func (r *raw) errCode(f transport.Frame) pb.Code {
	var e pb.Error
	if err := proto.Unmarshal(f.Body, &e); err != nil {
		r.t.Fatalf("error body: %v", err)
	}
	return e.Code
}

// metric returns the value of the counter or gauge name whose label has
// value label (0 when absent).
func metric(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					match = true
				}
			}
			if match {
				if c := m.GetCounter(); c != nil {
					return c.GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}
