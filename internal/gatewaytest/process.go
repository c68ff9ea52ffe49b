package gatewaytest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ServeConfig says how to start "antomgw serve". Every field has a
// default.
type ServeConfig struct {
	// Binary is the antomgw binary. Defaults to Binary(tb), which may
	// skip or fail the test: set it when starting from another goroutine.
	Binary string
	// DataDir is the --data directory. Defaults to a new directory under
	// tb.TempDir().
	DataDir string
	// Args are flags after "serve --listen 127.0.0.1:0 --data DIR"; a
	// flag given again here wins.
	Args []string
	// Env is the process's environment. Defaults to the test's.
	Env []string
	// NoListen leaves --listen out, for a test of where serve listens
	// without it ($ANTOMGW_LISTEN in Env, say).
	NoListen bool
	// Client is the Process's HTTP client, used for /readyz too. Defaults
	// to a client with a 30s timeout, keeping up to 64 idle connections
	// per host, that does not verify TLS certificates (test servers use
	// self-signed ones).
	Client *http.Client
	// StartTimeout bounds the wait for the "antomgw listening" line and
	// for /readyz to answer 200. Defaults to 30s.
	StartTimeout time.Duration
}

// Process is a running "antomgw serve". When the test ends it is killed if
// it still runs, and the test fails if it exited without the test stopping
// it (Stop, Kill, Wait) or if the race detector reported a race in its
// log. Its methods are safe for concurrent use.
type Process struct {
	// URL is the base URL the server logged, "http://127.0.0.1:PORT" (or
	// https with --tls-cert); for a server listening on every address, its
	// loopback URL.
	URL string
	// Addr is the address it listens on, "127.0.0.1:PORT" (the loopback
	// address for one listening on every address).
	Addr string
	// DataDir is its --data directory.
	DataDir string
	// Client is the HTTP client the test talks to it with.
	Client *http.Client

	cmd     *exec.Cmd
	stdout  *Buffer
	stderr  *Buffer
	exited  chan struct{}
	state   *os.ProcessState // set before exited is closed
	stopped atomic.Bool      // the test stopped it or expected its end
}

var listening = regexp.MustCompile(`msg="antomgw listening" addr=(\S+) url=(\S+)`)

// StartServe starts "antomgw serve --listen 127.0.0.1:0 --data dataDir"
// with args (dataDir "" is a new temporary directory), waits for its
// "antomgw listening" log line and for GET /readyz to answer 200, and
// returns it. It fails the test when the server does not get there.
func StartServe(tb testing.TB, dataDir string, args ...string) *Process {
	tb.Helper()
	p, err := ServeConfig{DataDir: dataDir, Args: args}.Start(tb)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Start starts "antomgw serve" as c says and waits until it is ready, as
// StartServe does, returning an error instead of failing the test (unless
// Binary is empty; see ServeConfig.Binary). The Process is returned also
// with an error when the process was started, so that its log and exit
// status can be read; it has then been killed (or has exited) and counts
// as stopped.
func (c ServeConfig) Start(tb testing.TB) (*Process, error) {
	tb.Helper()
	bin := c.Binary
	if bin == "" {
		bin = Binary(tb)
	}
	if c.DataDir == "" {
		c.DataDir = filepath.Join(tb.TempDir(), "data")
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // test servers' certificates are self-signed
		}}
	}
	timeout := c.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", c.DataDir}, c.Args...)
	if c.NoListen {
		args = append([]string{"serve", "--data", c.DataDir}, c.Args...)
	}
	p := &Process{DataDir: c.DataDir, Client: c.Client, stdout: &Buffer{}, stderr: &Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = c.Env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start antomgw serve: %v", err)
	}
	go func() {
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.exited)
	}()
	tb.Cleanup(func() { p.cleanup(tb) })

	deadline := time.Now().Add(timeout)
	fail := func(format string, args ...any) (*Process, error) {
		p.Kill()
		return p, fmt.Errorf(format+"\n--- antomgw serve stderr (tail) ---\n%s", append(args, p.Tail())...)
	}
	for p.URL == "" {
		if m := listening.FindStringSubmatch(p.stderr.String()); m != nil {
			p.Addr, p.URL = m[1], m[2]
			// A server on every address (--listen 0.0.0.0:PORT) is reached
			// on loopback.
			for _, any := range []string{"0.0.0.0:", "[::]:"} {
				if strings.HasPrefix(p.Addr, any) {
					loop := "127.0.0.1:"
					if any == "[::]:" {
						loop = "[::1]:"
					}
					p.Addr = loop + strings.TrimPrefix(p.Addr, any)
					p.URL = strings.Replace(p.URL, "://"+any, "://"+loop, 1)
				}
			}
			break
		}
		select {
		case <-p.exited:
			return fail("antomgw serve exited (%v) before logging \"antomgw listening\"", p.state)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail("antomgw serve logged no \"antomgw listening\" line within %v", timeout)
		}
	}
	if !strings.HasSuffix(p.URL, "://"+p.Addr) {
		return fail("antomgw serve listening url = %q, want it to end in %q (the addr)", p.URL, p.Addr)
	}
	for {
		last := ""
		resp, err := p.Client.Get(p.URL + "/readyz")
		if err != nil {
			last = err.Error()
		} else {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
			last = resp.Status
		}
		if time.Now().After(deadline) {
			return fail("GET /readyz: %s, want 200 OK within %v", last, timeout)
		}
		select {
		case <-p.exited:
			return fail("antomgw serve exited (%v) before /readyz answered 200", p.state)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// cleanup kills the process if it still runs and reports an exit the test
// did not ask for and any race the race detector found.
func (p *Process) cleanup(tb testing.TB) {
	tb.Helper()
	if !p.stopped.Load() && !p.Running() {
		tb.Errorf("antomgw serve exited on its own (%v), not stopped by the test\n%s", p.state, p.Tail())
	}
	p.Kill()
	if log := p.stderr.String(); strings.Contains(log, "WARNING: DATA RACE") {
		at := strings.Index(log, "WARNING: DATA RACE")
		tb.Errorf("antomgw serve: the race detector reported a data race:\n%s", clip(log[at:], 8000))
	}
}

// Running reports whether the process still runs.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Done returns a channel closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.exited }

// State returns the exit status, or nil while the process runs.
func (p *Process) State() *os.ProcessState {
	select {
	case <-p.exited:
		return p.state
	default:
		return nil
	}
}

// Stop sends sig (os.Interrupt, syscall.SIGTERM …) and waits for the
// process to exit, at most 30s; then it kills it and says so. It returns
// the exit status either way.
func (p *Process) Stop(sig os.Signal) (*os.ProcessState, error) {
	p.stopped.Store(true)
	if !p.Running() {
		return p.state, fmt.Errorf("antomgw serve had already exited: %v", p.state)
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return nil, fmt.Errorf("send %v: %v", sig, err)
	}
	select {
	case <-p.exited:
		return p.state, nil
	case <-time.After(30 * time.Second):
		p.Kill()
		return p.state, fmt.Errorf("antomgw serve did not exit within 30s of %v; killed", sig)
	}
}

// Kill kills the process (SIGKILL) if it still runs, waits for it to be
// gone and returns its exit status.
func (p *Process) Kill() *os.ProcessState {
	p.stopped.Store(true)
	if p.Running() {
		p.cmd.Process.Kill()
	}
	<-p.exited
	return p.state
}

// Wait waits at most d for a process the test expects to exit on its own
// and returns its exit status; after d it kills it and says so.
func (p *Process) Wait(d time.Duration) (*os.ProcessState, error) {
	p.stopped.Store(true)
	select {
	case <-p.exited:
		return p.state, nil
	case <-time.After(d):
		p.Kill()
		return p.state, fmt.Errorf("antomgw serve did not exit within %v; killed", d)
	}
}

// Stdout returns what the process wrote to its standard output so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr returns what the process wrote to its standard error (its log) so
// far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Tail returns the end of the process's log, for failure messages.
func (p *Process) Tail() string {
	out := p.stderr.String()
	if len(out) > 4000 {
		out = "…" + out[len(out)-4000:]
	}
	return out
}

// Buffer is a bytes.Buffer safe for concurrent writers and readers: for
// a process's output, or a logger's.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends b.
func (l *Buffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

// String returns what was written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
