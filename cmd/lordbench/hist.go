package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram records latencies in HDR-style logarithmic buckets: values
// below 2^subBits ns are exact, larger ones fall in one of 2^(subBits-1)
// linear sub-buckets per power of two, so every recorded value is known to
// within 1/64 (1.6 %). Memory is fixed (about 18 KiB for values up to
// 2^40 ns, 18 minutes) however many samples arrive, and Record is one
// atomic add, so every connection's goroutine can share one histogram.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
	max    atomic.Int64
}

const (
	subBits     = 7
	subHalf     = 1 << (subBits - 1)
	maxBits     = 40
	histBuckets = 1<<subBits + (maxBits-subBits)*subHalf
)

func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	if v >= 1<<maxBits {
		v = 1<<maxBits - 1
	}
	shift := bits.Len64(v) - subBits
	return 1<<subBits + (shift-1)*subHalf + int(v>>shift) - subHalf
}

// bucketMid is the middle of bucket i's range, in nanoseconds.
func bucketMid(i int) uint64 {
	if i < 1<<subBits {
		return uint64(i)
	}
	shift := (i-1<<subBits)/subHalf + 1
	sub := uint64((i-1<<subBits)%subHalf + subHalf)
	lo := sub << shift
	return lo + (uint64(1)<<shift)/2
}

// Record adds one latency.
func (h *histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(uint64(v))].Add(1)
	h.total.Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Count is the number of recorded latencies.
func (h *histogram) Count() uint64 { return h.total.Load() }

// Max is the largest recorded latency, exact.
func (h *histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Quantile returns the latency below which fraction q of the samples fall
// (q in [0,1]), to within the bucket precision; 0 for an empty histogram.
func (h *histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.Max())
		}
	}
	return h.Max()
}
