package loadgen

import "testing"

func TestHistogram(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 12345, 1e6, 1e9, 1e12} {
		i := bucket(v)
		if i < prev {
			t.Errorf("bucket(%d) = %d < bucket of a smaller value %d", v, i, prev)
		}
		prev = i
		hi := bucketValue(i)
		if hi < v || float64(hi-v) > float64(v)/32+1 {
			t.Errorf("bucket(%d) = %d, upper bound %d: want >= v within 1/32", v, i, hi)
		}
	}
	var h histogram
	if p := h.quantile(0.99); p != 0 {
		t.Errorf("p99 of an empty histogram = %d, want 0", p)
	}
	for v := int64(1); v <= 1000; v++ {
		h.add(v * 1000)
	}
	if p := h.quantile(0.99); p < 990_000 || p > 990_000*33/32 {
		t.Errorf("p99 = %d, want about 990000", p)
	}
	// Values beyond the last bucket land in it instead of panicking.
	h.add(1 << 62)
	h.add(-5)
}

func TestQuantile(t *testing.T) {
	var sorted []int64
	for v := int64(1); v <= 100; v++ {
		sorted = append(sorted, v)
	}
	for _, c := range []struct {
		q    float64
		want int64
	}{{0, 1}, {0.5, 50}, {0.9, 90}, {0.99, 99}, {0.995, 100}, {1, 100}} {
		if got := quantile(sorted, c.q); got != c.want {
			t.Errorf("quantile(1..100, %v) = %d, want %d (nearest rank)", c.q, got, c.want)
		}
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("quantile(nil) = %d, want 0", got)
	}
	if got := quantile([]int64{7}, 0.99); got != 7 {
		t.Errorf("quantile([7], 0.99) = %d, want 7", got)
	}
}
