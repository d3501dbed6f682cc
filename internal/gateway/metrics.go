package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus series (names in docs/operations.md).
type metrics struct {
	conns         *prometheus.GaugeVec
	handshakes    *prometheus.CounterVec
	framesIn      *prometheus.CounterVec
	framesOut     *prometheus.CounterVec
	bytesIn       *prometheus.CounterVec
	bytesOut      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	errors        *prometheus.CounterVec
	closes        *prometheus.CounterVec
	drops         prometheus.Counter
	routeRateHits *prometheus.CounterVec
	rateHits      prometheus.Counter
	badFrames     *prometheus.CounterVec

	// The per-transport input counters, resolved once: HandleFrame counts
	// every frame, and a label lookup per frame cost more than the count.
	in [2]transportIn // 0: tcp, 1: ws
}

type transportIn struct{ frames, bytes prometheus.Counter }

// input returns the input counters of a transport ("tcp" or "ws").
func (m *metrics) input(tr string) *transportIn {
	if tr == "tcp" {
		return &m.in[0]
	}
	return &m.in[1]
}

type routeStats struct {
	latency prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lordgame_connections", Help: "Open client connections by transport.",
		}, []string{"transport"}),
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_handshakes_total", Help: "Handshakes by result (ok or an error code).",
		}, []string{"result"}),
		framesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_frames_in_total", Help: "Frames received by transport.",
		}, []string{"transport"}),
		framesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_frames_out_total", Help: "Frames written by transport.",
		}, []string{"transport"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_bytes_in_total", Help: "Frame bytes received by transport.",
		}, []string{"transport"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_bytes_out_total", Help: "Bytes written by transport.",
		}, []string{"transport"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lordgame_request_duration_seconds",
			Help:    "Handler time per route.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_errors_total", Help: "Error responses and refused frames by code.",
		}, []string{"code"}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_disconnects_total", Help: "Closed connections by reason.",
		}, []string{"reason"}),
		drops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lordgame_send_queue_drops_total", Help: "Connections closed because their send queue overflowed.",
		}),
		rateHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lordgame_rate_limited_total", Help: "Frames refused by a rate limit (the connection's or a route's).",
		}),
		routeRateHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_route_rate_limited_total", Help: "Requests refused by their route's own limit (gateway.route_limits), by route.",
		}, []string{"route"}),
		badFrames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_bad_frames_total", Help: "Frames rejected as malformed, by kind of fault.",
		}, []string{"fault"}),
	}
	for i, tr := range []string{"tcp", "ws"} {
		m.conns.WithLabelValues(tr)
		m.in[i] = transportIn{frames: m.framesIn.WithLabelValues(tr), bytes: m.bytesIn.WithLabelValues(tr)}
		m.framesOut.WithLabelValues(tr)
		m.bytesOut.WithLabelValues(tr)
	}
	if reg != nil {
		reg.MustRegister(m.conns, m.handshakes, m.framesIn, m.framesOut, m.bytesIn, m.bytesOut,
			m.latency, m.errors, m.closes, m.drops, m.rateHits, m.routeRateHits, m.badFrames)
	}
	return m
}

func (m *metrics) route(name string) *routeStats {
	return &routeStats{latency: m.latency.WithLabelValues(name)}
}
