//go:build unix

package main

// Helpers of the end-to-end tests (e2e_test.go): they build the real
// antomgw binary once, run its commands and its server as subprocesses, and
// talk to the server as a merchant would, with requests signed by package
// wire and every answer's signature checked against the exported gateway
// key.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

var (
	e2eBuildOnce sync.Once
	e2eBin       string // path of the built binary
	e2eBuildDir  string // removed by TestMain
	e2eBuildErr  error
)

// TestMain removes the binary the end-to-end tests built, if they did.
func TestMain(m *testing.M) {
	code := m.Run()
	if e2eBuildDir != "" {
		os.RemoveAll(e2eBuildDir)
	}
	os.Exit(code)
}

// e2eBinary returns the antomgw binary, building it on first use. It skips
// the test under -short.
func e2eBinary(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("end-to-end: builds and runs the antomgw binary; skipped under -short")
	}
	e2eBuildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			e2eBuildErr = fmt.Errorf("the go command is not on PATH: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "antomgw-e2e-bin-")
		if err != nil {
			e2eBuildErr = err
			return
		}
		e2eBuildDir = dir
		bin := filepath.Join(dir, "antomgw")
		start := time.Now()
		// The test runs in the package directory: "." is cmd/antomgw.
		out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			e2eBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		e2eBin = bin
		fmt.Fprintf(os.Stderr, "e2e: built %s in %v\n", bin, time.Since(start).Round(time.Millisecond))
	})
	if e2eBuildErr != nil {
		tb.Fatal(e2eBuildErr)
	}
	return e2eBin
}

// e2e is one end-to-end scenario: a scratch directory, a data directory,
// the gateway public keys exported so far, and every output of every
// command and server it ran.
type e2e struct {
	t    *testing.T
	bin  string
	dir  string // scratch files: keys, bodies
	data string // --data of every command
	// client is the HTTP client for the servers started from now on.
	client *http.Client
	// gatewayKeys are the gateway public keys by version, as printed by
	// "antomgw keys export".
	gatewayKeys map[int]*rsa.PublicKey

	mu      sync.Mutex
	outputs []string // stdout and stderr of every command, for the secret check
	servers []*server
	seq     int
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{
		t:           t,
		bin:         e2eBinary(t),
		dir:         t.TempDir(),
		client:      &http.Client{Timeout: 20 * time.Second},
		gatewayKeys: map[int]*rsa.PublicKey{},
	}
	// The data directory does not exist yet: the gateway creates it.
	e.data = filepath.Join(e.dir, "data")
	return e
}

func (e *e2e) record(s string) {
	e.mu.Lock()
	e.outputs = append(e.outputs, s)
	e.mu.Unlock()
}

// allOutput returns every stdout and stderr seen so far, servers included.
func (e *e2e) allOutput() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, o := range e.outputs {
		b.WriteString(o)
		b.WriteByte('\n')
	}
	for _, s := range e.servers {
		b.WriteString(s.stdout.String())
		b.WriteString(s.stderr.String())
	}
	return b.String()
}

func (e *e2e) path(name string) string { return filepath.Join(e.dir, name) }

// cliRun is what one command produced.
type cliRun struct {
	stdout, stderr string
	code           int
}

// try runs the binary with args and returns what it did, whatever the exit
// code.
func (e *e2e) try(args ...string) cliRun {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliRun{stdout.String(), stderr.String(), 0}
	e.record(r.stdout)
	e.record(r.stderr)
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			e.t.Fatalf("antomgw %s: %v", strings.Join(args, " "), err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// cli runs the binary with args, fails the test unless it exits 0, and
// returns its stdout.
func (e *e2e) cli(args ...string) string {
	e.t.Helper()
	r := e.try(args...)
	if r.code != 0 {
		e.t.Fatalf("antomgw %s: exit %d, want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// generateKey makes a key pair with "antomgw keys generate" and returns the
// private key and the two file names.
func (e *e2e) generateKey(name string) (key *rsa.PrivateKey, privFile, pubFile string) {
	e.t.Helper()
	privFile, pubFile = e.path(name+".pem"), e.path(name+".pub")
	e.cli("keys", "generate", "--private-out", privFile, "--public-out", pubFile)
	data, err := os.ReadFile(privFile)
	if err != nil {
		e.t.Fatal(err)
	}
	if key, err = wire.ParsePrivateKey(data); err != nil {
		e.t.Fatalf("%s: %v", privFile, err)
	}
	return key, privFile, pubFile
}

// merchant is a registered client and its private keys by version.
type merchant struct {
	id    string
	keys  map[int]*rsa.PrivateKey
	files map[int]string // private key PEM files
}

// addMerchant generates a key and registers a client with it (key version
// 1) through "antomgw clients add".
func (e *e2e) addMerchant(id string) *merchant {
	e.t.Helper()
	key, priv, pub := e.generateKey(strings.ToLower(id) + "-v1")
	out := e.cli("clients", "add", "--data", e.data, "--client-id", id, "--public-key", pub)
	if !strings.Contains(out, id) {
		e.t.Fatalf("clients add: stdout = %q, want it to name %s", out, id)
	}
	return &merchant{id: id, keys: map[int]*rsa.PrivateKey{1: key}, files: map[int]string{1: priv}}
}

// addKey generates a key and adds it to m as version v through "antomgw
// clients add-key".
func (e *e2e) addKey(m *merchant, v int) {
	e.t.Helper()
	key, priv, pub := e.generateKey(fmt.Sprintf("%s-v%d", strings.ToLower(m.id), v))
	e.cli("clients", "add-key", "--data", e.data, "--client-id", m.id, "--public-key", pub, "--key-version", strconv.Itoa(v))
	m.keys[v], m.files[v] = key, priv
}

// exportGatewayKey runs "antomgw keys export" (for version v, or the newest
// when v is 0), remembers the key under version v (when not 0) and returns
// it with the PEM text printed.
func (e *e2e) exportGatewayKey(v int) (*rsa.PublicKey, string) {
	e.t.Helper()
	args := []string{"keys", "export", "--data", e.data}
	if v != 0 {
		args = append(args, "--key-version", strconv.Itoa(v))
	}
	out := e.cli(args...)
	pub, err := wire.ParsePublicKey([]byte(out))
	if err != nil {
		e.t.Fatalf("keys export: stdout is not a public key: %v\n%s", err, out)
	}
	if v != 0 {
		e.gatewayKeys[v] = pub
	}
	return pub, out
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running "antomgw serve" subprocess.
type server struct {
	e      *e2e
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	addr   string // host:port bound
	base   string // scheme://host:port
	client *http.Client
	exited chan struct{} // closed when the process has been waited for
	state  *os.ProcessState
}

var listeningAddr = regexp.MustCompile(`msg="antomgw listening" addr=(\S+) url=(\S+)`)

// start runs "antomgw serve --listen 127.0.0.1:0 --data DIR --sim-delay
// 300ms" plus extra flags, waits for its "antomgw listening" log line and
// for GET /readyz to answer 200. The process is killed when the test ends
// if it is still running.
func (e *e2e) start(extra ...string) *server {
	e.t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", e.data, "--sim-delay", "300ms"}, extra...)
	s := &server{e: e, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, client: e.client, exited: make(chan struct{})}
	s.cmd = exec.Command(e.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		e.t.Fatalf("start antomgw serve: %v", err)
	}
	go func() {
		s.cmd.Wait() // the exit status is in s.cmd.ProcessState
		s.state = s.cmd.ProcessState
		close(s.exited)
	}()
	e.t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	e.mu.Lock()
	e.servers = append(e.servers, s)
	e.mu.Unlock()

	deadline := time.Now().Add(20 * time.Second)
	for s.addr == "" {
		if m := listeningAddr.FindStringSubmatch(s.stderr.String()); m != nil {
			s.addr, s.base = m[1], m[2]
			break
		}
		select {
		case <-s.exited:
			s.fatalf("antomgw serve exited (%v) before logging \"antomgw listening\"", s.state)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.fatalf("no \"antomgw listening\" line within 20s")
		}
	}
	if want := "://" + s.addr; !strings.HasSuffix(s.base, want) {
		s.fatalf("listening url = %q, want it to end in %q (the addr)", s.base, want)
	}
	for {
		var last string
		resp, err := s.client.Get(s.base + "/readyz")
		if err != nil {
			last = err.Error()
		} else {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
			last = resp.Status
		}
		if time.Now().After(deadline) {
			s.fatalf("GET /readyz: got %s, want 200 OK within 20s", last)
		}
		select {
		case <-s.exited:
			s.fatalf("antomgw serve exited (%v) before /readyz answered 200", s.state)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// get fetches path (GET) from the server and returns the body.
func (s *server) get(path string) string {
	s.e.t.Helper()
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		s.fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.fatalf("GET %s: %s, %v", path, resp.Status, err)
	}
	return string(b)
}

// tail returns the end of the server's stderr, for failure messages.
func (s *server) tail() string {
	const n = 3000
	out := s.stderr.String()
	if len(out) > n {
		out = "…" + out[len(out)-n:]
	}
	return out
}

func (s *server) fatalf(format string, args ...any) {
	s.e.t.Helper()
	s.e.t.Fatalf(format+"\n--- server stderr (tail) ---\n%s", append(args, s.tail())...)
}

func (s *server) errorf(format string, args ...any) {
	s.e.t.Helper()
	s.e.t.Errorf(format+"\n--- server stderr (tail) ---\n%s", append(args, s.tail())...)
}

// stop sends sig and waits (at most 20s) for the process to exit.
func (s *server) stop(sig syscall.Signal) *os.ProcessState {
	s.e.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.fatalf("send %v: %v", sig, err)
	}
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.fatalf("antomgw serve did not exit within 20s of %v", sig)
	}
	return s.state
}

// call is one API request.
type call struct {
	path string
	body string
	// key signs the request; nil means the merchant's key of keyVersion
	// (or of version 1 when keyVersion is 0).
	key *rsa.PrivateKey
	// keyVersion goes into the Signature header; 0 leaves the item out
	// (the gateway then uses the client's newest key).
	keyVersion int
	// sign, when set, returns the whole Signature header for the content.
	sign func(content []byte) string
	// encryptTo encrypts the body for this gateway key (version
	// encryptVersion) and sends it as text/plain with an Encrypt header.
	encryptTo      *rsa.PublicKey
	encryptVersion int
}

// answer is a verified answer.
type answer struct {
	header      http.Header
	body        []byte // as received (ciphertext when encrypted)
	plain       []byte // the JSON body (opened when encrypted)
	keyVersion  int    // of the gateway key that signed it
	encrypted   bool
	tlsVersion  uint16
	result      wire.Result
	paymentID   string
	paymentReq  string
	status      string // paymentStatus
	replayed    bool   // x-idempotent-replay: true
	rawResponse string // status line and headers, for messages
}

// do sends c for m and checks the answer: HTTP 200, client-id echoed,
// response-time present, signed (over POST <path>\n<client-id>.<response-
// time>.<body as received>) by an exported gateway key, opened with the
// merchant's key when encrypted, and a JSON body with a valid result.
func (s *server) do(m *merchant, c call) *answer {
	s.e.t.Helper()
	body := []byte(c.body)
	contentType := "application/json; charset=UTF-8"
	var encHeader string
	if c.encryptTo != nil {
		enc, eh, err := wire.EncryptBody(nil, c.encryptTo, c.encryptVersion, body)
		if err != nil {
			s.e.t.Fatalf("EncryptBody: %v", err)
		}
		body, encHeader, contentType = enc, eh.String(), "text/plain; charset=UTF-8"
	}
	s.e.mu.Lock()
	s.e.seq++
	reqTime := wire.FormatTime(time.Now().Add(time.Duration(s.e.seq) * time.Millisecond))
	s.e.mu.Unlock()
	content := wire.SigningContent(http.MethodPost, c.path, m.id, reqTime, body)
	var sigHeader string
	if c.sign != nil {
		sigHeader = c.sign(content)
	} else {
		key := c.key
		if key == nil {
			key = m.keys[max(c.keyVersion, 1)]
		}
		sig, err := wire.Sign(key, content)
		if err != nil {
			s.e.t.Fatalf("wire.Sign: %v", err)
		}
		if c.keyVersion == 0 {
			// wire.SignatureHeader always writes a keyVersion; leave it out.
			sigHeader = "algorithm=RSA256,signature=" + sig
		} else {
			sigHeader = wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: c.keyVersion, Signature: sig}.String()
		}
	}
	req, err := http.NewRequest(http.MethodPost, s.base+c.path, bytes.NewReader(body))
	if err != nil {
		s.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Client-Id", m.id)
	req.Header.Set("Request-Time", reqTime)
	req.Header.Set("Signature", sigHeader)
	if encHeader != "" {
		req.Header.Set("Encrypt", encHeader)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.fatalf("POST %s: %v", c.path, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		s.fatalf("POST %s: read body: %v", c.path, err)
	}
	a := &answer{header: resp.Header, body: rb, plain: rb}
	if resp.TLS != nil {
		a.tlsVersion = resp.TLS.Version
	}
	if resp.StatusCode != http.StatusOK {
		s.fatalf("POST %s: HTTP status %d, want 200; body %s", c.path, resp.StatusCode, rb)
	}
	if got := resp.Header.Get("client-id"); got != m.id {
		s.fatalf("POST %s: response client-id = %q, want %q", c.path, got, m.id)
	}
	respTime := resp.Header.Get("response-time")
	if _, err := wire.ParseTime(respTime); err != nil {
		s.fatalf("POST %s: response-time %q: %v", c.path, respTime, err)
	}
	sh, err := wire.ParseSignatureHeader(resp.Header.Get("signature"))
	if err != nil {
		s.fatalf("POST %s: response signature header %q: %v", c.path, resp.Header.Get("signature"), err)
	}
	a.keyVersion = sh.KeyVersion
	pub, ok := s.e.gatewayKeys[sh.KeyVersion]
	if !ok {
		s.fatalf("POST %s: response signed with gateway keyVersion %d, which was not exported (exported: %v)", c.path, sh.KeyVersion, keysOf(s.e.gatewayKeys))
	}
	if err := wire.Verify(pub, wire.SigningContent(http.MethodPost, c.path, m.id, respTime, rb), sh.Signature); err != nil {
		s.fatalf("POST %s: response signature (keyVersion %d) does not verify with the exported gateway key: %v\nbody %s", c.path, sh.KeyVersion, err, rb)
	}
	if eh := resp.Header.Get("encrypt"); eh != "" {
		a.encrypted = true
		h, err := wire.ParseEncryptHeader(eh)
		if err != nil {
			s.fatalf("POST %s: response encrypt header %q: %v", c.path, eh, err)
		}
		key := m.keys[max(c.keyVersion, 1)]
		if c.key != nil {
			key = c.key
		}
		if a.plain, err = wire.DecryptBody(key, h, rb); err != nil {
			s.fatalf("POST %s: open the encrypted answer with the merchant key: %v", c.path, err)
		}
	}
	var v struct {
		Result           wire.Result `json:"result"`
		PaymentID        string      `json:"paymentId"`
		PaymentRequestID string      `json:"paymentRequestId"`
		PaymentStatus    string      `json:"paymentStatus"`
	}
	if err := json.Unmarshal(a.plain, &v); err != nil {
		s.fatalf("POST %s: answer body is not JSON: %v\n%q", c.path, err, a.plain)
	}
	if !v.Result.Status.Valid() {
		s.fatalf("POST %s: result status %q is not S, F or U; body %s", c.path, v.Result.Status, a.plain)
	}
	a.result, a.paymentID, a.paymentReq, a.status = v.Result, v.PaymentID, v.PaymentRequestID, v.PaymentStatus
	a.replayed = resp.Header.Get("x-idempotent-replay") == "true"
	return a
}

func keysOf(m map[int]*rsa.PublicKey) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

// expect fails the test unless the answer's result is status/code.
func (s *server) expect(a *answer, status wire.Status, code string, what string) {
	s.e.t.Helper()
	if a.result.Status != status || a.result.Code != code {
		s.fatalf("%s: result = %s %s (%q), want %s %s\nbody %s", what, a.result.Status, a.result.Code, a.result.Message, status, code, a.plain)
	}
}

// rawHeaders posts a signed inquiry over a plain TCP connection and returns
// the response's status line and header block exactly as sent, so that the
// case of header names can be checked (net/http canonicalises them).
func (s *server) rawHeaders(m *merchant, path, body string) string {
	s.e.t.Helper()
	reqTime := wire.FormatTime(time.Now())
	sig, err := wire.Sign(m.keys[1], wire.SigningContent(http.MethodPost, path, m.id, reqTime, []byte(body)))
	if err != nil {
		s.e.t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
	if err != nil {
		s.fatalf("dial %s: %v", s.addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json; charset=UTF-8\r\nClient-Id: %s\r\nRequest-Time: %s\r\n"+
		"Signature: algorithm=RSA256,keyVersion=1,signature=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		path, s.addr, m.id, reqTime, sig, len(body), body)
	br := bufio.NewReader(conn)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			s.fatalf("read raw response: %v (so far %q)", err, head.String())
		}
		if line == "\r\n" {
			return head.String()
		}
		head.WriteString(line)
	}
}
