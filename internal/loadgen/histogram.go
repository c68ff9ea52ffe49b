package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// quantile is the q-quantile of sorted values (nearest rank).
func quantile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// histogram is a lock-free log-linear histogram of nanoseconds (32
// sub-buckets per power of two, about 3% resolution) for the live p99; the
// report uses every latency, sorted.
type histogram struct {
	buckets [64 * 32]atomic.Int64
	n       atomic.Int64
}

// bucket is the index of the bucket v falls in.
func bucket(v int64) int {
	if v < 32 {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - 6
	return (shift+1)*32 + int(uint64(v)>>shift) - 32
}

// bucketValue is the upper bound of bucket i.
func bucketValue(i int) int64 {
	if i < 32 {
		return int64(i)
	}
	shift := i/32 - 1
	return (int64(i%32+32+1) << shift) - 1
}

// add counts v.
func (h *histogram) add(v int64) {
	h.buckets[min(bucket(v), len(h.buckets)-1)].Add(1)
	h.n.Add(1)
}

// quantile is the upper bound of the bucket holding the q-quantile (nearest
// rank) of the values added, 0 before any.
func (h *histogram) quantile(q float64) int64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(n)))
	var seen int64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			return bucketValue(i)
		}
	}
	return bucketValue(len(h.buckets) - 1)
}
