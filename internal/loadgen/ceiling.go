package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// CeilingDefinition says what the crypto ceiling is, for every result
// that is shown as a share of it.
const CeilingDefinition = "RSA-2048 PKCS#1 v1.5 SHA-256 sign+verify pairs per second, one goroutine per core (GOMAXPROCS) in this process, with its crypto backend: a gateway request costs one verify and one sign"

// Ceiling is this machine's crypto ceiling: how many RSA-2048 sign+verify
// pairs per second its cores sustain. Every gateway request costs one
// verification and one signature, so a gateway on these cores cannot answer
// more requests per second than that.
type Ceiling struct {
	// PairsPerSecond is the rate Goroutines goroutines sustained for
	// Seconds.
	PairsPerSecond float64 `json:"pairsPerSecond"`
	Goroutines     int     `json:"goroutines"`
	Seconds        float64 `json:"seconds"`
	// SignMicros and VerifyMicros are the time of one operation on one
	// core, from a short single-goroutine measurement (wall clock).
	SignMicros   float64 `json:"signMicros"`
	VerifyMicros float64 `json:"verifyMicros"`
	// CPUSeconds is the CPU time the measurement used (Linux, from
	// /proc/self/stat; 0 elsewhere). FreePairsPerSecond is the ceiling
	// with every core free of other processes: pairs per CPU second times
	// Goroutines. On a shared machine PairsPerSecond is lower.
	CPUSeconds         float64 `json:"cpuSeconds,omitempty"`
	FreePairsPerSecond float64 `json:"freePairsPerSecond,omitempty"`
}

// FreeNote tells the ceiling with the cores free, as a clause to append to
// a line that shows PairsPerSecond, when other processes took a visible part
// of the cores (more than 5%); otherwise it returns "".
func (c *Ceiling) FreeNote() string {
	if c.FreePairsPerSecond <= c.PairsPerSecond*1.05 {
		return ""
	}
	return fmt.Sprintf("; other processes took part of the cores: %.1f pairs/s per CPU second × %d = %.1f with the cores free",
		c.FreePairsPerSecond/float64(c.Goroutines), c.Goroutines, c.FreePairsPerSecond)
}

// MeasureCeiling runs GOMAXPROCS goroutines doing RSA-2048 sign+verify
// pairs with package wire for d, over content the size of a pay request,
// after timing each operation alone on one goroutine. It returns ctx's
// error when ctx ends first.
func MeasureCeiling(ctx context.Context, d time.Duration) (Ceiling, error) {
	key, err := wire.GenerateKey(nil)
	if err != nil {
		return Ceiling{}, err
	}
	content := wire.Message{Method: http.MethodPost, URI: pathPay, ClientID: "BENCH_CLIENT",
		Time: wire.FormatTime(time.Now()), Body: payBody("BENCH_CEILING_0000000", 100)}.Content()
	sigOnce, err := wire.Sign(key, content)
	if err != nil {
		return Ceiling{}, err
	}
	// One core alone: the cost of each operation.
	var c Ceiling
	single := func(op func() error) (float64, error) {
		n, start := 0, time.Now()
		for time.Since(start) < 200*time.Millisecond || n < 3 {
			if err := op(); err != nil {
				return 0, err
			}
			n++
		}
		return float64(time.Since(start).Microseconds()) / float64(n), nil
	}
	if c.SignMicros, err = single(func() error { _, err := wire.Sign(key, content); return err }); err != nil {
		return c, err
	}
	if c.VerifyMicros, err = single(func() error { return wire.Verify(&key.PublicKey, content, sigOnce) }); err != nil {
		return c, err
	}

	c.Goroutines = runtime.GOMAXPROCS(0)
	cpu0, cpuOK := procCPU()
	var pairs atomic.Int64
	var firstErr error
	var errOnce sync.Once
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range c.Goroutines {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				sig, err := wire.Sign(key, content)
				if err == nil {
					err = wire.Verify(&key.PublicKey, content, sig)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				pairs.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return c, firstErr
	}
	if err := ctx.Err(); err != nil {
		return c, err
	}
	c.Seconds = time.Since(start).Seconds()
	c.PairsPerSecond = float64(pairs.Load()) / c.Seconds
	if cpu1, ok := procCPU(); ok && cpuOK && cpu1 > cpu0 {
		c.CPUSeconds = (cpu1 - cpu0).Seconds()
		c.FreePairsPerSecond = float64(pairs.Load()) / c.CPUSeconds * float64(c.Goroutines)
	}
	return c, nil
}

// procCPU is the CPU time (user + system) this process has used, from
// /proc/self/stat; false where there is no such file.
func procCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStat(b)
}

// parseProcStat reads utime + stime from the contents of /proc/self/stat.
func parseProcStat(b []byte) (time.Duration, bool) {
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// Linux reports these in USER_HZ, 100 per second on every architecture
	// Go supports.
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}
