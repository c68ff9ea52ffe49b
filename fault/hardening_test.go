//go:build linux

package fault

import (
	"bufio"
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// The hardening tests run antomgw serve with its default limits (only
// the ones a test is about are set smaller) and attack it from loopback:
// a flood of unknown clients, thousands of connections trickling their
// headers, requests slower than the timeouts. A paying client's latency is
// compared with its own latency without the attack, measured in the same
// run. They do not run in parallel with the other fault tests, whose load
// would weigh on the figures.
//
// HARDENING_ARGS adds serve flags to the flood and trickle servers, to
// measure the gateway without its defences for comparison (docs/
// BENCHMARKS.md): HARDENING_ARGS='--refusal-rate 0' for the flood,
// '--max-conns 100000' for the trickle. The tests' checks then fail, as
// they should.

// paySet is n pay requests of the env's client, signed before they are
// sent, so that a measured latency is the gateway's and not the signing's.
func paySet(e *env, prefix string, n int) []gatewaytest.Request {
	rs := make([]gatewaytest.Request, n)
	for i := range rs {
		body := payV1(fmt.Sprintf("%s_%04d", prefix, i), 1000)
		t := e.nextTime()
		sig := e.signHeader(wire.Message{Method: http.MethodPost, URI: pathPayV1, ClientID: e.clientID, Time: t, Body: []byte(body)}.Content())
		rs[i] = gatewaytest.Request{Path: pathPayV1, Body: body, Time: &t, Signature: &sig}
	}
	return rs
}

// measure sends the requests one after the other as the env's client on
// client, and returns each one's latency; every answer must be S SUCCESS.
func measure(t *testing.T, s *server, client *http.Client, rs []gatewaytest.Request) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, len(rs))
	for _, r := range rs {
		r.Client = client
		start := time.Now()
		rep, err := s.send(r)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("pay %s: %v", r.Body[:60], err)
		}
		if rep.Result.Code != wire.CodeSuccess {
			t.Fatalf("pay: answered %v, want S SUCCESS", rep.Result)
		}
		out = append(out, took)
	}
	return out
}

// quantile returns the q-quantile (nearest rank) of ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// keepAlive is an HTTP client with one keep-alive connection of its own.
func keepAlive() *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}}
}

// metric reads one sample of the server's /metrics (name with its labels
// as written, e.g. `x_total{outcome="cached"}`); -1 when it is missing.
func metric(t *testing.T, s *server, client *http.Client, name string) float64 {
	t.Helper()
	resp, err := client.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	return -1
}

// flood is four connections sending pay requests of unknown clients, each
// waiting for its answer before it sends again, until stopped; it can be
// paused. It counts the answers by code and verifies a sample of them.
type flood struct {
	answers       tally
	verified, bad atomic.Int64
	firstBad      atomic.Value
	stop, paused  atomic.Bool
	wg            sync.WaitGroup
	active        time.Duration // time spent flooding, not paused
	resumedAt     time.Time
	connections   int
}

func startFlood(s *server, gw *rsa.PublicKey, connections int) *flood {
	f := &flood{connections: connections, resumedAt: time.Now()}
	for i := range connections {
		clientID := fmt.Sprintf("NOBODY_%d", i)
		client := keepAlive()
		f.wg.Go(func() {
			body := []byte(payV1("FLOOD", 1000))
			for k := 0; !f.stop.Load(); k++ {
				if f.paused.Load() {
					time.Sleep(time.Millisecond) // the load generator idles
					continue
				}
				f.send(s, client, clientID, body, gw, k%50 == 0)
			}
		})
	}
	return f
}

// send sends one request and counts its answer; verify checks its
// signature (verifying costs the flood, so only a sample is).
func (f *flood) send(s *server, client *http.Client, clientID string, body []byte, gw *rsa.PublicKey, verify bool) {
	req, _ := http.NewRequest(http.MethodPost, s.URL+pathPayV1, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Client-Id", clientID)
	req.Header.Set("Request-Time", wire.FormatTime(time.Now()))
	req.Header.Set("Signature", "algorithm=RSA256,keyVersion=1,signature=AAAA")
	resp, err := client.Do(req)
	if err != nil {
		f.answers.add("connection closed")
		return
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		f.answers.add("connection closed")
		return
	}
	var b struct {
		Result wire.Result `json:"result"`
	}
	json.Unmarshal(raw, &b)
	f.answers.add(string(b.Result.Status) + " " + b.Result.Code)
	if !verify {
		return
	}
	_, _, err = wire.VerifyHeaders(resp.Header, wire.Answer, http.MethodPost, pathPayV1, raw, func(int) (*rsa.PublicKey, error) { return gw, nil })
	if err == nil && resp.Header.Get("client-id") != clientID {
		err = fmt.Errorf("client-id %q, want %q", resp.Header.Get("client-id"), clientID)
	}
	if err != nil {
		f.bad.Add(1)
		f.firstBad.CompareAndSwap(nil, err.Error())
	} else {
		f.verified.Add(1)
	}
}

func (f *flood) pause() {
	f.paused.Store(true)
	f.active += time.Since(f.resumedAt)
}

func (f *flood) resume() {
	f.resumedAt = time.Now()
	f.paused.Store(false)
}

func (f *flood) end() {
	if !f.paused.Load() {
		f.pause()
	}
	f.stop.Store(true)
	f.wg.Wait()
}

// TestHardeningFlood: four connections flooding the gateway with requests
// of unknown clients (each refusal would cost an RSA signature) must not
// starve a paying client: its median pay latency under the flood stays
// within 1.5× of its median without it. The two are measured in
// alternating rounds, so that whatever else the machine does weighs on
// both; each flooded round starts once the flood has spent the refusals
// the budget saved up meanwhile. Beyond --refusal-rate the flood is answered
// U REQUEST_TRAFFIC_EXCEED_LIMIT from the cache of signed answers, which
// must verify like any answer.
// checkLatency reports whether the latency figures are checked in this
// run: in the fault suite's own CI step (ANTOMGW_CHECK_LATENCY=1, set by
// .ci/run), where the fault package runs alone. In "go test ./...",
// other packages' tests share the cores with the measured server, so
// the figures are logged, not checked.
func checkLatency(t *testing.T) bool {
	if os.Getenv("ANTOMGW_CHECK_LATENCY") == "" {
		t.Logf("latency figures logged, not checked: set ANTOMGW_CHECK_LATENCY=1 (as .ci/run's fault step does) to check them")
		return false
	}
	return true
}

func TestHardeningFlood(t *testing.T) {
	e := newEnv(t, "", "FLOOD_SHOP")
	args := strings.Fields(os.Getenv("HARDENING_ARGS"))
	if raceBuild {
		// A server built with the race detector signs too slowly for 4
		// connections to outrun the default budget of 200 refusals a
		// second: a smaller budget keeps the test about what happens
		// beyond it.
		args = append([]string{"--refusal-rate", "40"}, args...)
	}
	s := e.mustStart(args...)
	const (
		n      = 200 // pays measured with the flood; as many without it
		rounds = 5
	)
	payer := keepAlive()
	measure(t, s, payer, paySet(e, "WARM", 20))

	f := startFlood(s, e.gwKeys[1], 4)
	var quiet, loaded []time.Duration
	for r := range rounds {
		// Measure a steady flood: once it has spent what the refusal
		// budget saved up (its burst, or what refilled during the quiet
		// round).
		over := func() int {
			return f.answers.count("U "+wire.CodeRequestTrafficExceed) + f.answers.count("connection closed")
		}
		before := over()
		gatewaytest.WaitFor(3*time.Second, func() bool { return over() > before })
		loaded = append(loaded, measure(t, s, payer, paySet(e, fmt.Sprintf("FLOOD%d", r), n/rounds))...)
		f.pause()
		quiet = append(quiet, measure(t, s, payer, paySet(e, fmt.Sprintf("QUIET%d", r), n/rounds))...)
		f.resume()
	}
	f.end()

	q50, l50 := quantile(quiet, .5), quantile(loaded, .5)
	ratio := float64(l50) / float64(q50)
	secs := f.active.Seconds()
	full, cached, closed := f.answers.count("F "+wire.CodeInvalidClient), f.answers.count("U "+wire.CodeRequestTrafficExceed), f.answers.count("connection closed")
	t.Logf("flood: %d connections of unknown clients, %v of flooding: %d requests (%.0f/s): %s",
		f.connections, f.active.Round(time.Millisecond), full+cached+closed, float64(full+cached+closed)/secs, f.answers.String())
	t.Logf("flood: %.0f/s answered in full (signed INVALID_CLIENT), %.0f/s REQUEST_TRAFFIC_EXCEED_LIMIT from the cache, %.0f/s connections closed; %d sampled answers verified",
		float64(full)/secs, float64(cached)/secs, float64(closed)/secs, f.verified.Load())
	t.Logf("paying client, %d pays each, in %d alternating rounds: median %s without the flood, %s with it (ratio %.2f); p90 %s / %s",
		n, rounds, ms(q50), ms(l50), ratio, ms(quantile(quiet, .9)), ms(quantile(loaded, .9)))
	t.Logf("server metrics: antomgw_refusals_over_limit_total cached %.0f, closed %.0f",
		metric(t, s, payer, `antomgw_refusals_over_limit_total{outcome="cached"}`), metric(t, s, payer, `antomgw_refusals_over_limit_total{outcome="closed"}`))
	if n := f.bad.Load(); n > 0 {
		t.Errorf("%d sampled flood answers did not verify; first: %v", n, f.firstBad.Load())
	}
	if cached == 0 {
		t.Errorf("no flood request was answered REQUEST_TRAFFIC_EXCEED_LIMIT: the refusal budget did not act")
	}
	switch {
	case raceBuild:
		t.Logf("the server is built with the race detector: its latencies are not checked")
	case !checkLatency(t):
	case ratio > 1.5:
		t.Errorf("the paying client's median latency under the flood is %.2f× its median without it, want at most 1.5×", ratio)
	}
	if err := s.term(); err != nil {
		t.Error(err)
	}
}

// serverPID returns the pid of the antomgw serve child of this test
// process whose command line names dataDir.
func serverPID(t *testing.T, dataDir string) int {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, p := range strings.Fields(string(b)) {
			cmd, _ := os.ReadFile("/proc/" + p + "/cmdline")
			args := strings.Split(string(cmd), "\x00")
			if slices.Contains(args, "serve") && slices.Contains(args, dataDir) {
				pid, _ := strconv.Atoi(p)
				return pid
			}
		}
	}
	t.Fatalf("no antomgw serve child with --data %s", dataDir)
	return 0
}

// memKiB reads a field (VmRSS, VmHWM) of /proc/PID/status, in KiB.
func memKiB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("%s: %q: %v", field, line, err)
			}
			return kib
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// libraryKiB sums the resident pages (Rss) of PID's mappings of a shared
// library whose file name starts with prefix (as "libcrypto.so"), in KiB;
// 0 when it maps none.
func libraryKiB(t *testing.T, pid int, prefix string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	kib, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			// A mapping's header: address range, perms, offset, dev, inode[, path].
			in = len(f) >= 6 && strings.HasPrefix(filepath.Base(f[5]), prefix)
			continue
		}
		if in && len(f) == 3 && f[0] == "Rss:" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("smaps: %q: %v", line, err)
			}
			kib += n
		}
	}
	return kib
}

// raiseFileLimit raises this process's open-file limit to at least n
// (within its hard limit), or skips the test.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("the open-file limit is %d (hard %d); this test needs %d", lim.Cur, lim.Max, n)
	}
	old := lim
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// trickler keeps one connection to the gateway sending a request one byte
// a second, its headers (or, with body, its body) never finished; when
// the gateway closes it, it waits 2 s and connects again, until stopped.
type trickle struct {
	stop                       atomic.Bool
	wg                         sync.WaitGroup
	dialed, closed, dialFailed atomic.Int64
}

func (tr *trickle) run(addr string, body bool) {
	head := "POST " + pathPayV1 + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json; charset=UTF-8\r\nClient-Id: TRICKLE\r\n"
	if body {
		head += "Content-Length: 100000\r\n\r\n{"
	} else {
		head += "X-Trickle: "
	}
	buf := make([]byte, 1)
	for !tr.stop.Load() {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			tr.dialFailed.Add(1)
			time.Sleep(2 * time.Second)
			continue
		}
		tr.dialed.Add(1)
		_, err = io.WriteString(c, head)
		for err == nil && !tr.stop.Load() {
			// Wait a second for anything the gateway sends (a close).
			c.SetReadDeadline(time.Now().Add(time.Second))
			if _, rerr := c.Read(buf); rerr != nil {
				var ne net.Error
				if !errors.As(rerr, &ne) || !ne.Timeout() {
					err = rerr
					break
				}
			} else {
				err = errors.New("the gateway answered")
				break
			}
			_, err = c.Write([]byte{'a'})
		}
		c.Close()
		if err != nil && !tr.stop.Load() {
			tr.closed.Add(1)
			time.Sleep(2 * time.Second)
		}
	}
}

// TestHardeningTrickle: 2,000 connections sending their requests a byte
// a second (half their headers, half their bodies), reconnecting when
// closed, keep the gateway's resident memory under 64 MiB (the open
// connections are capped by --max-conns, and the longest waiting is
// closed for a new one) and its growth under 40 MiB (in every build; the
// OpenSSL build starts about 10 MiB larger, so the absolute 64 MiB is
// checked in the builds that map no libcrypto), and a client with a
// keep-alive connection of its own keeps a p99 under 100 ms.
func TestHardeningTrickle(t *testing.T) {
	const conns = 2000
	raiseFileLimit(t, conns+1000)
	e := newEnv(t, "", "TRICKLE_SHOP")
	s := e.mustStart(strings.Fields(os.Getenv("HARDENING_ARGS"))...)
	pid := serverPID(t, e.data)
	payer := keepAlive()
	measure(t, s, payer, paySet(e, "WARM", 20))
	quiet := measure(t, s, payer, paySet(e, "QUIET", 200))
	rssBefore := memKiB(t, pid, "VmRSS")

	tr := &trickle{}
	start := time.Now()
	for i := range conns {
		tr.wg.Go(func() {
			time.Sleep(time.Duration(i) * time.Second / conns) // open them over a second
			tr.run(s.Addr, i%2 == 1)
		})
	}
	gatewaytest.WaitFor(30*time.Second, func() bool { return tr.dialed.Load() >= conns })
	// Pay while they trickle, for at least 200 pays and past the
	// read-header timeout (10 s), sampling the gateway's memory.
	var loaded []time.Duration
	maxRSS := 0
	for i := 0; len(loaded) < 200 || time.Since(start) < 12*time.Second; i++ {
		loaded = append(loaded, measure(t, s, payer, paySet(e, fmt.Sprintf("TRICKLE%d", i), 20))...)
		maxRSS = max(maxRSS, memKiB(t, pid, "VmRSS"))
	}
	open := metric(t, s, payer, "antomgw_connections_open")
	evicted := metric(t, s, payer, "antomgw_connections_evicted_total")
	hwm := memKiB(t, pid, "VmHWM")
	// The OpenSSL build starts about 10 MiB larger (libcrypto's pages, more
	// threads, C heaps) whatever the connections; see the doc comment.
	libcrypto := libraryKiB(t, pid, "libcrypto.so")
	tr.stop.Store(true)
	tr.wg.Wait()

	q99, l99 := quantile(quiet, .99), quantile(loaded, .99)
	t.Logf("trickle: %d connections over %v: %d connects, %d closed by the gateway, %d connects failed; at the end %.0f open at the gateway, %.0f evicted in all",
		conns, time.Since(start).Round(time.Millisecond), tr.dialed.Load(), tr.closed.Load(), tr.dialFailed.Load(), open, evicted)
	t.Logf("gateway memory: VmRSS %.1f MiB before, at most %.1f MiB sampled during; peak (VmHWM) %.1f MiB, %.1f MiB over before; libcrypto mapped: %.1f MiB resident",
		float64(rssBefore)/1024, float64(maxRSS)/1024, float64(hwm)/1024, float64(hwm-rssBefore)/1024, float64(libcrypto)/1024)
	t.Logf("paying client (own keep-alive connection): %d pays without the trickle p50 %s p99 %s; %d pays with it p50 %s p99 %s (p99 ratio %.2f)",
		len(quiet), ms(quantile(quiet, .5)), ms(q99), len(loaded), ms(quantile(loaded, .5)), ms(l99), float64(l99)/float64(q99))
	if raceBuild {
		t.Logf("the server is built with the race detector: its memory and latencies are not checked")
	} else {
		if libcrypto == 0 && hwm >= 64*1024 {
			t.Errorf("the gateway's peak resident memory was %.1f MiB, want under 64 MiB", float64(hwm)/1024)
		}
		// 512 connections at about 50 KiB each, and the collector's
		// headroom: 26-30 MiB measured; without the cap it grew by 63 MiB.
		if grew := hwm - rssBefore; grew >= 40*1024 {
			t.Errorf("the gateway's resident memory grew by %.1f MiB under the trickle, want under 40 MiB", float64(grew)/1024)
		}
		// Under 100 ms as the issue asks; on a machine so busy that the
		// pays' own p99 without the trickle is over 50 ms, within twice
		// that.
		if limit := max(100*time.Millisecond, 2*q99); l99 >= limit && checkLatency(t) {
			t.Errorf("the paying client's p99 with the trickle is %s, want under %s", ms(l99), ms(limit))
		}
	}
	if evicted <= 0 {
		t.Errorf("no connection was evicted: the cap did not act")
	}
	if err := s.term(); err != nil {
		t.Error(err)
	}
}

// TestHardeningTimeouts: with --read-header-timeout, --read-timeout and
// --idle-timeout of 1 s, a connection sending its headers slower is
// closed, a request whose body comes slower is refused (a signed
// PARAM_ILLEGAL), and an idle keep-alive connection is closed; a 9902 pay
// is still answered after its whole --sim-hold (3 s), past the read
// timeout and an explicit --write-timeout of 2 s, because the write
// timeout counts from the answer's first byte, not from the request.
func TestHardeningTimeouts(t *testing.T) {
	e := newEnv(t, "", "TIMEOUT_SHOP")
	const hold = 3 * time.Second
	s := e.mustStart("--read-header-timeout", "1s", "--read-timeout", "1s", "--idle-timeout", "1s",
		"--write-timeout", "2s", "--sim-hold", hold.String())
	dial := func() net.Conn {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closedAfter sends a byte every 200ms (when trickle is set) until the
	// gateway closes c or answers, for at most 8s; it returns when that
	// was, after start, and what it sent back.
	closedAfter := func(c net.Conn, start time.Time, trickle bool) (time.Duration, string) {
		var got []byte
		buf := make([]byte, 4096)
		for time.Since(start) < 8*time.Second {
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				return time.Since(start), string(got)
			}
			if trickle && len(got) == 0 {
				if _, err := c.Write([]byte{'a'}); err != nil {
					return time.Since(start), string(got)
				}
			}
		}
		t.Fatalf("the gateway kept the connection open for 8s; got %q", got)
		return 0, ""
	}

	// Headers a byte every 200ms: closed after the 1s read-header timeout.
	// Each start is taken before the step that starts the gateway's timer
	// (the dial, the request), so a lower bound on took cannot fail because
	// the gateway's clock started first.
	start := time.Now()
	c := dial()
	io.WriteString(c, "POST "+pathPayV1+" HTTP/1.1\r\nHost: "+s.Addr+"\r\nX-Slow: ")
	took, got := closedAfter(c, start, true)
	t.Logf("headers a byte every 200ms: closed after %v (got %q)", took.Round(time.Millisecond), clip(got, 80))
	if took < time.Second {
		t.Errorf("the connection was closed after %v, before the 1s read-header timeout", took)
	}
	if strings.Contains(got, "200 OK") {
		t.Errorf("a request whose headers never ended was answered: %q", clip(got, 200))
	}

	// A body a byte every 200ms: refused when the 1s read timeout passes,
	// with a signed answer.
	body := payV1("SLOW_BODY", 1000)
	reqTime := e.nextTime()
	sig := e.signHeader(wire.Message{Method: http.MethodPost, URI: pathPayV1, ClientID: e.clientID, Time: reqTime, Body: []byte(body)}.Content())
	start = time.Now()
	c = dial()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json; charset=UTF-8\r\nClient-Id: %s\r\nRequest-Time: %s\r\nSignature: %s\r\nContent-Length: %d\r\n\r\n%s",
		pathPayV1, s.Addr, e.clientID, reqTime, sig, len(body), body[:10])
	took, got = closedAfter(c, start, true)
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(got)), nil)
	if err != nil {
		t.Fatalf("slow body: after %v the gateway sent %q, want an answer: %v", took, clip(got, 200), err)
	}
	raw, _ := io.ReadAll(resp.Body)
	if _, _, err := wire.VerifyHeaders(resp.Header, wire.Answer, http.MethodPost, pathPayV1, raw, func(int) (*rsa.PublicKey, error) { return e.gwKeys[1], nil }); err != nil {
		t.Errorf("slow body: the answer does not verify: %v", err)
	}
	t.Logf("body a byte every 200ms: answered after %v: %s", took.Round(time.Millisecond), raw)
	if took < time.Second || !strings.Contains(string(raw), wire.CodeParamIllegal) || !strings.Contains(string(raw), "timeout") {
		t.Errorf("slow body: answered %s after %v, want PARAM_ILLEGAL naming the timeout after the 1s read timeout", raw, took)
	}

	// An idle keep-alive connection: closed after the 1s idle timeout.
	c = dial()
	start = time.Now()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+s.Addr+"\r\n\r\n")
	took, got = closedAfter(c, start, false)
	t.Logf("idle keep-alive connection: closed %v after its request (got %q)", took.Round(time.Millisecond), clip(got, 40))
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK") || took < time.Second {
		t.Errorf("idle keep-alive connection: closed after %v with %q, want /healthz answered and the connection kept for the 1s idle timeout", took, clip(got, 80))
	}

	// The 9902 hold: answered S SUCCESS after the whole hold.
	start = time.Now()
	rep, err := s.send(gatewaytest.Request{Path: pathPayV1, Body: payV1("HELD", 9902)})
	took = time.Since(start)
	if err != nil {
		t.Fatalf("9902 pay: %v after %v", err, took)
	}
	t.Logf("9902 pay with --sim-hold %v, --read-timeout 1s, --write-timeout 2s: %v after %v", hold, rep.Result, took.Round(time.Millisecond))
	if rep.Result.Code != wire.CodeSuccess || took < hold {
		t.Errorf("9902 pay: %v after %v, want S SUCCESS after the %v hold", rep.Result, took, hold)
	}
	if err := s.term(); err != nil {
		t.Error(err)
	}
}
