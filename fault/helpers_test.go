//go:build unix

// Package fault holds the gateway's fault tests: the real antomgw binary,
// built once, is killed with SIGKILL under load, hammered with concurrent
// duplicates, fed a corpus of malformed requests and run on a full disk;
// afterwards the store and the API must show that nothing acknowledged was
// lost and nothing was done twice. Every test prints its figures (t.Logf,
// shown with -v) and is skipped under -short.
//
// Set FAULT_SEED to replay the random choices (kill moments, amounts) of an
// earlier run; the seed is logged by every test that uses one.
package fault

import (
	"bytes"
	"context"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

var (
	buildOnce sync.Once
	binPath   string
	buildDir  string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary returns the antomgw binary, built on first use. It skips the test
// under -short.
func binary(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("fault suite: builds the antomgw binary, kills it and waits for delayed jobs; skipped under -short")
	}
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command is not on PATH: %v", err)
			return
		}
		if buildDir, err = os.MkdirTemp("", "antomgw-fault-bin-"); err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(buildDir, "antomgw")
		start := time.Now()
		args := []string{"build", "-o", bin}
		if raceBuild {
			// Under go test -race the server runs with the race detector
			// too; checkServers fails the test on any report.
			args = append(args, "-race")
		}
		out, err := exec.Command(goTool, append(args, "github.com/antomgw/antomgw/cmd/antomgw")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binPath = bin
		fmt.Fprintf(os.Stderr, "fault: built %s (race detector %v) in %v\n", bin, raceBuild, time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// seed returns the seed of a test's random choices: FAULT_SEED when set,
// otherwise the clock. It is logged so that a failing run can be replayed.
func seed(t *testing.T) uint64 {
	t.Helper()
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("FAULT_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("FAULT_SEED=%q: %v", v, err)
		}
		s = n
	}
	t.Logf("seed %d (replay the random choices with FAULT_SEED=%d)", s, s)
	return s
}

// env is one gateway installation: a data directory, one registered client
// whose key signs every request, and the gateway's exported public key.
type env struct {
	t        *testing.T
	bin      string
	dir      string // scratch
	data     string // --data
	clientID string
	key      *rsa.PrivateKey
	gwKeys   map[int]*rsa.PublicKey
	seq      atomic.Int64 // makes every Request-Time distinct
	servers  []*server
	mu       sync.Mutex
}

// newEnv makes a data directory (data, or a fresh one under the test's
// temporary directory when empty), registers clientID with a new key and
// the notify URL (when not empty), and exports the gateway key.
func newEnv(t *testing.T, data, clientID, notifyURL string) *env {
	t.Helper()
	e := &env{t: t, bin: binary(t), dir: t.TempDir(), clientID: clientID, gwKeys: map[int]*rsa.PublicKey{}}
	e.data = data
	if e.data == "" {
		e.data = filepath.Join(e.dir, "data")
	}
	key, err := wire.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.key = key
	t.Cleanup(func() {
		e.cleanup()
		e.checkServers()
	})
	pem, err := wire.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(e.dir, "merchant.pub")
	if err := os.WriteFile(pubFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"clients", "add", "--data", e.data, "--client-id", clientID, "--public-key", pubFile}
	if notifyURL != "" {
		args = append(args, "--notify-url", notifyURL)
	}
	e.cli(args...)
	out := e.cli("keys", "export", "--data", e.data, "--key-version", "1")
	gw, err := wire.ParsePublicKey([]byte(out))
	if err != nil {
		t.Fatalf("keys export: %v\n%s", err, out)
	}
	e.gwKeys[1] = gw
	return e
}

func (e *env) dbPath() string { return filepath.Join(e.data, "antomgw.db") }

// cli runs the binary and returns its stdout; it fails the test unless the
// command exits 0.
func (e *env) cli(args ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("antomgw %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// lockedBuffer is a bytes.Buffer for one writer goroutine and readers.
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

// server is one running "antomgw serve".
type server struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	base   string
	exited chan struct{}
	state  *os.ProcessState
	client *http.Client
	// stopped: the test killed or stopped it, or start reported its end.
	stopped atomic.Bool
}

var listeningLine = regexp.MustCompile(`msg="antomgw listening" addr=(\S+) url=(\S+)`)

// start runs "antomgw serve --listen 127.0.0.1:0 --data DIR" with extra
// flags and waits until /readyz answers 200. It returns an error rather
// than failing the test, so that a goroutine may call it.
func (e *env) start(extra ...string) (*server, error) {
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", e.data}, extra...)
	s := &server{stderr: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(e.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.cmd.Wait()
		s.state = s.cmd.ProcessState
		close(s.exited)
	}()
	e.mu.Lock()
	e.servers = append(e.servers, s)
	e.mu.Unlock()
	s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 0}}
	deadline := time.Now().Add(30 * time.Second)
	for s.base == "" {
		if m := listeningLine.FindStringSubmatch(s.stderr.String()); m != nil {
			s.base = m[2]
			break
		}
		select {
		case <-s.exited:
			s.stopped.Store(true)
			return s, fmt.Errorf("antomgw serve exited (%v) before listening\n%s", s.state, s.tail())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return s, fmt.Errorf("antomgw serve did not listen within 30s\n%s", s.tail())
		}
	}
	for {
		resp, err := s.client.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return s, fmt.Errorf("/readyz did not answer 200 within 30s\n%s", s.tail())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mustStart is start for the test goroutine.
func (e *env) mustStart(extra ...string) *server {
	e.t.Helper()
	s, err := e.start(extra...)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// cleanup kills every server still running (newEnv registers it).
func (e *env) cleanup() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.servers {
		s.kill()
	}
}

// checkServers fails the test for a server that exited without being told
// to (crashed, or was signalled by someone else) and for any race detector
// report in a server's log.
func (e *env) checkServers() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, s := range e.servers {
		if !s.stopped.Load() {
			e.t.Errorf("server %d exited on its own (%v), not stopped by the test\n%s", i, s.state, s.tail())
		}
		if log := s.stderr.String(); strings.Contains(log, "WARNING: DATA RACE") {
			at := strings.Index(log, "WARNING: DATA RACE")
			e.t.Errorf("server %d: the race detector reported a data race:\n%s", i, clip(log[at:], 8000))
		}
	}
}

func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	s.stopped.Store(true)
	if s.running() {
		s.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-s.exited
}

// term sends SIGTERM (a graceful stop) and waits at most 30s.
func (s *server) term() error {
	s.stopped.Store(true)
	if !s.running() {
		return fmt.Errorf("the server had already exited: %v", s.state)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("antomgw serve did not exit within 30s of SIGTERM")
	}
	if !s.state.Success() {
		return fmt.Errorf("antomgw serve exited with %v after SIGTERM\n%s", s.state, s.tail())
	}
	return nil
}

func (s *server) tail() string {
	out := s.stderr.String()
	if len(out) > 4000 {
		out = "…" + out[len(out)-4000:]
	}
	return out
}

// request is one API call. Zero fields get working defaults: POST, the
// env's client id, a fresh Request-Time, JSON content type, a signature by
// the client's key with keyVersion 1.
type request struct {
	method   string
	path     string
	body     []byte
	clientID *string
	reqTime  *string
	// sigHeader, when set, is sent as the Signature header exactly ("" for
	// none).
	sigHeader *string
	// sign, when set, makes the Signature header from the signing content.
	sign func(content []byte) string
	// header sets (or, with "", deletes) headers after the defaults.
	header map[string]string
	// add adds header values after the defaults (repeated headers).
	add [][2]string
	// encryptTo, when set, encrypts body for this gateway key and sends it
	// as text/plain with an Encrypt header.
	encryptTo *rsa.PublicKey
}

// reply is an answer whose signature was checked.
type reply struct {
	result        wire.Result
	plain         []byte
	paymentID     string
	paymentStatus string
	replay        bool
	encrypted     bool
}

// badAnswer is an answer the server gave that is not a valid signed API
// answer: it is a finding, never an effect of a kill.
type badAnswer struct{ msg string }

func (b *badAnswer) Error() string { return b.msg }

func isBadAnswer(err error) bool {
	var b *badAnswer
	return errors.As(err, &b)
}

func ptr[T any](v T) *T { return &v }

func (e *env) nextTime() string {
	return wire.FormatTime(time.Now().Add(time.Duration(e.seq.Add(1)) * time.Microsecond))
}

// signHeader signs content with the client's key (keyVersion 1).
func (e *env) signHeader(content []byte) string {
	sig, err := wire.Sign(e.key, content)
	if err != nil {
		panic(err)
	}
	return wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: 1, Signature: sig}.String()
}

// send sends r to the server at base. A transport failure (refused, reset,
// cut short) is returned as is; an answer that is not HTTP 200 with a body
// signed by the gateway key over (method, path, client-id, response-time,
// body) and a JSON result is a *badAnswer.
func (e *env) send(client *http.Client, base string, r request) (*reply, error) {
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	clientID := e.clientID
	if r.clientID != nil {
		clientID = *r.clientID
	}
	reqTime := e.nextTime()
	if r.reqTime != nil {
		reqTime = *r.reqTime
	}
	body := r.body
	contentType := "application/json; charset=UTF-8"
	var encHeader string
	if r.encryptTo != nil {
		enc, eh, err := wire.EncryptBody(nil, r.encryptTo, 1, body)
		if err != nil {
			return nil, err
		}
		body, encHeader, contentType = enc, eh.String(), "text/plain; charset=UTF-8"
	}
	hr, err := http.NewRequest(method, base+r.path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	// The URI as the gateway sees it (and signs its answer over).
	uri := hr.URL.EscapedPath()
	if hr.URL.RawQuery != "" {
		uri += "?" + hr.URL.RawQuery
	}
	hr.Header.Set("Content-Type", contentType)
	if clientID != "" {
		hr.Header.Set("Client-Id", clientID)
	}
	if reqTime != "" {
		hr.Header.Set("Request-Time", reqTime)
	}
	if encHeader != "" {
		hr.Header.Set("Encrypt", encHeader)
	}
	switch {
	case r.sigHeader != nil:
		if *r.sigHeader != "" {
			hr.Header.Set("Signature", *r.sigHeader)
		}
	case r.sign != nil:
		hr.Header.Set("Signature", r.sign(wire.SigningContent(method, uri, clientID, reqTime, body)))
	default:
		hr.Header.Set("Signature", e.signHeader(wire.SigningContent(method, uri, clientID, reqTime, body)))
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header[http.CanonicalHeaderKey(k)] = []string{v}
		}
	}
	for _, kv := range r.add {
		hr.Header.Add(kv[0], kv[1])
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return e.check(method, uri, clientID, resp, rb)
}

// check verifies an answer: 200, client-id echoed, response-time parses,
// signed by an exported gateway key, opened with the client's key when
// encrypted, a JSON body with an S, F or U result.
func (e *env) check(method, uri, clientID string, resp *http.Response, rb []byte) (*reply, error) {
	bad := func(format string, args ...any) error {
		return &badAnswer{fmt.Sprintf("%s %s: ", method, clip(uri, 80)) + fmt.Sprintf(format, args...)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, bad("HTTP %d, want 200; body %q", resp.StatusCode, clip(string(rb), 200))
	}
	if got := resp.Header.Get("client-id"); got != clientID {
		return nil, bad("response client-id %q, want %q", clip(got, 40), clip(clientID, 40))
	}
	respTime := resp.Header.Get("response-time")
	if _, err := wire.ParseTime(respTime); err != nil {
		return nil, bad("response-time %q: %v", respTime, err)
	}
	sh, err := wire.ParseSignatureHeader(resp.Header.Get("signature"))
	if err != nil {
		return nil, bad("response signature header %q: %v", resp.Header.Get("signature"), err)
	}
	pub, ok := e.gwKeys[sh.KeyVersion]
	if !ok {
		return nil, bad("answer signed with gateway keyVersion %d, which was not exported", sh.KeyVersion)
	}
	if err := wire.Verify(pub, wire.SigningContent(method, uri, clientID, respTime, rb), sh.Signature); err != nil {
		return nil, bad("response signature does not verify: %v; body %q", err, clip(string(rb), 200))
	}
	rep := &reply{plain: rb, replay: resp.Header.Get("x-idempotent-replay") == "true"}
	if eh := resp.Header.Get("encrypt"); eh != "" {
		h, err := wire.ParseEncryptHeader(eh)
		if err != nil {
			return nil, bad("response encrypt header %q: %v", eh, err)
		}
		if rep.plain, err = wire.DecryptBody(e.key, h, rb); err != nil {
			return nil, bad("open the encrypted answer: %v", err)
		}
		rep.encrypted = true
	}
	var v struct {
		Result        wire.Result `json:"result"`
		PaymentID     string      `json:"paymentId"`
		PaymentStatus string      `json:"paymentStatus"`
	}
	if err := json.Unmarshal(rep.plain, &v); err != nil {
		return nil, bad("answer is not JSON: %v; %q", err, clip(string(rep.plain), 200))
	}
	if !v.Result.Status.Valid() || v.Result.Code == "" {
		return nil, bad("result %+v is not a valid result", v.Result)
	}
	rep.result, rep.paymentID, rep.paymentStatus = v.Result, v.PaymentID, v.PaymentStatus
	return rep, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

const (
	pathPayV1     = "/ams/api/v1/payments/pay"
	pathPayV2     = "/openapi/v2/payments/pay"
	pathInquiryV1 = "/ams/api/v1/payments/inquiryPayment"
)

// payV1 is an AMS v1 in-store PaymentCode pay body.
func payV1(requestID string, value int64) []byte {
	return fmt.Appendf(nil, `{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":%q,"orderDescription":"coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

// payV2 is an omnichannel v2 pay body.
func payV2(requestID string, value int64) []byte {
	return fmt.Appendf(nil, `{"paymentRequestId":%q,"paymentMethod":"ALIPAY_CN","paymentAmount":{"currency":"USD","value":%d},"originalMerchantOrderId":%q}`,
		requestID, value, requestID)
}

// inquire asks inquiryPayment for a paymentRequestId.
func (e *env) inquire(s *server, requestID string) (*reply, error) {
	return e.send(s.client, s.base, request{path: pathInquiryV1, body: fmt.Appendf(nil, `{"paymentRequestId":%q}`, requestID)})
}

// wantFinal is the final status a payment of this amount reaches on the
// simulated wallet, for the amounts the fault tests use.
func wantFinal(value int64) string {
	switch value {
	case 9904, 9905, 9906, 9907, 9908, 9909:
		return "FAIL"
	}
	return "SUCCESS"
}

// --- the store, read directly -------------------------------------------------

// openDB opens the SQLite file directly (the server may be running: WAL
// lets readers in; mode=ro when readOnly).
func openDB(t *testing.T, path string, readOnly bool) *sql.DB {
	t.Helper()
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)"
	if readOnly {
		dsn += "&mode=ro"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// duplicateRequests runs the check the UNIQUE constraint should make
// pointless: request ids with more than one payment.
func duplicateRequests(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT client_id, request_id, COUNT(*) FROM payments GROUP BY client_id, request_id HAVING COUNT(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c, r string
		var n int
		if err := rows.Scan(&c, &r, &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s/%s ×%d", c, r, n))
	}
	return out
}

// storedPayment is a payments row, as far as the checks need it.
type storedPayment struct {
	id, requestID, status, resultCode string
	value                             int64
}

func payments(t *testing.T, db *sql.DB) map[string]storedPayment {
	t.Helper()
	rows, err := db.Query(`SELECT payment_id, request_id, status, result_code, amount_value FROM payments`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]storedPayment{}
	for rows.Next() {
		var p storedPayment
		if err := rows.Scan(&p.id, &p.requestID, &p.status, &p.resultCode, &p.value); err != nil {
			t.Fatal(err)
		}
		out[p.requestID] = p
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dumpStore returns every row of every table, sorted, for "nothing
// changed" comparisons.
func dumpStore(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, name := range tables {
		rs, err := db.Query(`SELECT * FROM "` + name + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		var lines []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		rs.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s: %d rows\n%s\n", name, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// waitFinal polls the store (read-only) until no payment is PROCESSING, or
// the deadline passes; it returns how long that took and what is still
// PROCESSING.
func waitFinal(t *testing.T, path string, deadline time.Duration) (time.Duration, []string) {
	t.Helper()
	db := openDB(t, path, true)
	defer db.Close()
	start := time.Now()
	for {
		rows, err := db.Query(`SELECT request_id FROM payments WHERE status = 'PROCESSING'`)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for rows.Next() {
			var r string
			rows.Scan(&r)
			left = append(left, r)
		}
		rows.Close()
		if len(left) == 0 || time.Since(start) > deadline {
			return time.Since(start), left
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// describeStuck returns, for request ids whose payment is not final, the
// payment row and its jobs, for failure messages.
func describeStuck(t *testing.T, path string, requestIDs []string) string {
	t.Helper()
	db := openDB(t, path, true)
	defer db.Close()
	var b strings.Builder
	for _, id := range first(requestIDs, 5) {
		var pid, status, created string
		var decided int
		if err := db.QueryRow(`SELECT payment_id, status, decided, created_at FROM payments WHERE request_id = ?`, id).Scan(&pid, &status, &decided, &created); err != nil {
			fmt.Fprintf(&b, "%s: %v\n", id, err)
			continue
		}
		fmt.Fprintf(&b, "%s: payment %s %s decided=%d created_at=%s; jobs:", id, pid, status, decided, created)
		rows, err := db.Query(`SELECT id, kind, due_at, attempts, COALESCE(lease_until, 0) FROM jobs WHERE target_id = ?`, pid)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var jid, due, attempts, lease int64
			var kind string
			rows.Scan(&jid, &kind, &due, &attempts, &lease)
			fmt.Fprintf(&b, " [#%d %s due %d attempts %d lease %d]", jid, kind, due, attempts, lease)
		}
		rows.Close()
		b.WriteString("\n")
	}
	return b.String()
}

// logErrors returns the distinct err= values of a server log's warnings
// and errors, with their counts, most frequent first.
func logErrors(log string, max int) string {
	count := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "level=ERROR") && !strings.Contains(line, "level=WARN") {
			continue
		}
		msg := ""
		if m := logMsg.FindStringSubmatch(line); m != nil {
			msg = m[1]
		}
		if m := logErr.FindStringSubmatch(line); m != nil {
			msg += ": " + m[1]
		}
		count[msg]++
	}
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range count {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v || list[i].v == list[j].v && list[i].k < list[j].k })
	var parts []string
	for _, x := range first(list, max) {
		parts = append(parts, fmt.Sprintf("%d× %s", x.v, clip(x.k, 160)))
	}
	return strings.Join(parts, "; ")
}

var (
	logMsg = regexp.MustCompile(`msg="?([^"=]+?)"? [a-z_]+=`)
	logErr = regexp.MustCompile(`err="((?:[^"\\]|\\.)*)"`)
)

// --- the merchant's notification endpoint -------------------------------------

// sink is a merchant's notification endpoint: it verifies each
// notification's signature with the gateway key and acknowledges it.
type sink struct {
	keys map[int]*rsa.PublicKey

	mu        sync.Mutex
	delivered map[string]int    // paymentId → deliveries
	status    map[string]string // paymentId → result status of the last one
	invalid   []string
}

func newSink(keys map[int]*rsa.PublicKey) *sink {
	return &sink{keys: keys, delivered: map[string]int{}, status: map[string]string{}}
}

func (n *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sh, err := wire.ParseSignatureHeader(r.Header.Get("signature"))
	if err == nil {
		pub, ok := n.keys[sh.KeyVersion]
		if !ok {
			err = fmt.Errorf("unknown gateway keyVersion %d", sh.KeyVersion)
		} else {
			err = wire.Verify(pub, wire.SigningContent(r.Method, r.URL.RequestURI(), r.Header.Get("client-id"), r.Header.Get("request-time"), body), sh.Signature)
		}
	}
	var note struct {
		NotifyType string      `json:"notifyType"`
		PaymentID  string      `json:"paymentId"`
		Result     wire.Result `json:"result"`
	}
	if err == nil {
		err = json.Unmarshal(body, &note)
	}
	if err == nil && (note.PaymentID == "" || note.NotifyType != "PAYMENT_RESULT" || !note.Result.Status.Valid()) {
		err = fmt.Errorf("unexpected notification %s", clip(string(body), 200))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		n.invalid = append(n.invalid, err.Error())
		http.Error(w, "bad notification", http.StatusBadRequest)
		return
	}
	n.delivered[note.PaymentID]++
	n.status[note.PaymentID] = string(note.Result.Status)
	io.WriteString(w, `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`)
}

// missing returns the payments of want (paymentId → final status) the sink
// has not received, or received with another status.
func (n *sink) missing(want map[string]string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for id, st := range want {
		wantStatus := "S"
		if st == "FAIL" {
			wantStatus = "F"
		}
		if n.delivered[id] == 0 || n.status[id] != wantStatus {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (n *sink) counts() (distinct, total int, invalid []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.delivered {
		total += c
	}
	return len(n.delivered), total, append([]string(nil), n.invalid...)
}

// --- answers ------------------------------------------------------------------

// attempt is one request sent and what came of it.
type attempt struct {
	requestID string
	value     int64
	err       error // transport error; nil when answered
	result    wire.Result
	paymentID string
}

// tally counts answers by "status code" (and transport errors).
type tally struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *tally) add(k string) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]int{}
	}
	t.m[k]++
	t.mu.Unlock()
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.m))
	for k := range t.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, t.m[k]))
	}
	return strings.Join(parts, ", ")
}

func answerKey(a attempt) string {
	if a.err != nil {
		return "transport error"
	}
	return string(a.result.Status) + " " + a.result.Code
}

// saveAttempts writes every attempt of a failed test as JSON lines to a
// file that outlives the test, and logs its name: the record of every
// answer, for the post-mortem.
func saveAttempts(t *testing.T, name string, as []attempt) {
	t.Helper()
	f, err := os.CreateTemp("", "fault-"+name+"-answers-*.jsonl")
	if err != nil {
		t.Logf("save answers: %v", err)
		return
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, a := range as {
		rec := map[string]any{"requestId": a.requestID, "value": a.value}
		if a.err != nil {
			rec["error"] = a.err.Error()
		} else {
			rec["resultStatus"], rec["resultCode"], rec["resultMessage"], rec["paymentId"] = a.result.Status, a.result.Code, a.result.Message, a.paymentID
		}
		enc.Encode(rec)
	}
	t.Logf("every answer (%d) is saved in %s", len(as), f.Name())
}

// pick returns one of vs.
func pick[T any](r *rand.Rand, vs ...T) T { return vs[r.IntN(len(vs))] }
