//go:build unix

// Package fault holds the gateway's fault tests: the real antomgw binary,
// built once by internal/gatewaytest, is killed with SIGKILL under load,
// hammered with concurrent duplicates, fed a corpus of malformed requests
// and run on a full disk; afterwards the store and the API must show that
// nothing acknowledged was lost and nothing was done twice. Every test
// prints its figures (t.Logf, shown with -v) and is skipped under -short.
//
// Set FAULT_SEED to replay the random choices (kill moments, amounts) of an
// earlier run; the seed is logged by every test that uses one.
package fault

import (
	"cmp"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// TestMain removes the binary gatewaytest.Binary built. (Under go test
// -race the server is built with the race detector too, and a server that
// reports a race fails its test.)
func TestMain(m *testing.M) { os.Exit(gatewaytest.Main(m)) }

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
	seq      atomic.Int64 // makes every Request-Time of nextTime distinct
	mu       sync.Mutex
	servers  []*server
}

// newEnv makes a data directory (data, or a fresh one under the test's
// temporary directory when empty), registers clientID with a new key and
// exports the gateway key. It skips the test under -short (see
// gatewaytest.Binary).
func newEnv(t *testing.T, data, clientID string) *env {
	t.Helper()
	e := &env{t: t, bin: gatewaytest.Binary(t), dir: t.TempDir(), clientID: clientID, gwKeys: map[int]*rsa.PublicKey{}}
	e.data = data
	if e.data == "" {
		e.data = filepath.Join(e.dir, "data")
	}
	e.key = e.addClient(clientID)
	out := e.cli("keys", "export", "--data", e.data, "--key-version", "1")
	gw, err := wire.ParsePublicKey([]byte(out))
	if err != nil {
		t.Fatalf("keys export: %v\n%s", err, out)
	}
	e.gwKeys[1] = gw
	return e
}

// addClient registers a client with a new key, through "antomgw clients
// add", and returns the key.
func (e *env) addClient(id string) *rsa.PrivateKey {
	e.t.Helper()
	key, err := wire.GenerateKey(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	pem, err := wire.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		e.t.Fatal(err)
	}
	pubFile := filepath.Join(e.dir, id+".pub")
	if err := os.WriteFile(pubFile, pem, 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.cli("clients", "add", "--data", e.data, "--client-id", id, "--public-key", pubFile)
	return key
}

func (e *env) dbPath() string { return filepath.Join(e.data, "antomgw.db") }

// cli runs the binary and returns its stdout; it fails the test unless the
// command exits 0.
func (e *env) cli(args ...string) string {
	e.t.Helper()
	return gatewaytest.MustRunCLI(e.t, args...)
}

// server is one running "antomgw serve" and the env's client as a
// merchant of it.
type server struct {
	*gatewaytest.Process
	m *gatewaytest.Merchant
}

// start runs "antomgw serve --listen 127.0.0.1:0 --data DIR" with extra
// flags and waits until /readyz answers 200 (gatewaytest.ServeConfig). It
// returns an error rather than failing the test; the server is returned
// with it when it was started (it has then exited or been killed).
func (e *env) start(extra ...string) (*server, error) {
	p, err := gatewaytest.ServeConfig{Binary: e.bin, DataDir: e.data, Args: extra}.Start(e.t)
	if p == nil {
		return nil, err
	}
	s := &server{Process: p, m: &gatewaytest.Merchant{URL: p.URL, ClientID: e.clientID, Key: e.key, GatewayKeys: e.gwKeys, Client: p.Client}}
	e.mu.Lock()
	e.servers = append(e.servers, s)
	e.mu.Unlock()
	return s, err
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

// term sends SIGTERM (a graceful stop), waits at most 30s, and says
// whether the server exited 0.
func (s *server) term() error {
	st, err := s.Stop(syscall.SIGTERM)
	if err != nil {
		return err
	}
	if !st.Success() {
		return fmt.Errorf("antomgw serve exited with %v after SIGTERM\n%s", st, s.Tail())
	}
	return nil
}

// reply is a verified answer (see gatewaytest.Reply) and the payment
// fields of its body.
type reply struct {
	*gatewaytest.Reply `json:"-"`
	PaymentID          string `json:"paymentId"`
	PaymentStatus      string `json:"paymentStatus"`
}

// badAnswer is an answer the server gave that is not a valid signed API
// answer: it is a finding, never an effect of a kill.
type badAnswer struct{ msg string }

func (b *badAnswer) Error() string { return b.msg }

func isBadAnswer(err error) bool {
	var b *badAnswer
	return errors.As(err, &b)
}

// send sends r to s as the env's client. A transport failure (refused,
// reset, cut short: what a kill does) is returned as is; an answer that is
// not a valid signed API answer (gatewaytest.Reply says what that is) or
// has no result code is a *badAnswer.
func (s *server) send(r gatewaytest.Request) (*reply, error) {
	rep, err := s.m.Try(r)
	var ne net.Error // what sending (*url.Error) and reading (*net.OpError) fail with
	switch {
	case err == nil:
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return nil, err
	default:
		return nil, &badAnswer{clip(err.Error(), 400)}
	}
	a := &reply{Reply: rep}
	if err := json.Unmarshal(rep.Plain, a); err != nil || rep.Result.Code == "" {
		return nil, &badAnswer{fmt.Sprintf("%s: answer %q has no result code or payment fields (%v)", r.Path, clip(string(rep.Plain), 200), err)}
	}
	return a, nil
}

func ptr[T any](v T) *T { return &v }

// nextTime is a Request-Time at least a millisecond after the one before, for
// requests built before they are sent.
func (e *env) nextTime() string {
	// Whole milliseconds: Request-Time is written to the millisecond, so
	// microseconds apart could be the same header.
	return wire.FormatTime(time.Now().Add(time.Duration(e.seq.Add(1)) * time.Millisecond))
}

// signHeader signs content with the client's key (keyVersion 1).
func (e *env) signHeader(content []byte) string {
	sig, err := wire.Sign(e.key, content)
	if err != nil {
		panic(err)
	}
	return wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: 1, Signature: sig}.String()
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
func payV1(requestID string, value int64) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":%q,"orderDescription":"coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

// payV2 is an omnichannel v2 pay body.
func payV2(requestID string, value int64) string {
	return fmt.Sprintf(`{"paymentRequestId":%q,"paymentMethod":"ALIPAY_CN","paymentAmount":{"currency":"USD","value":%d},"originalMerchantOrderId":%q}`,
		requestID, value, requestID)
}

// inquire asks inquiryPayment for a paymentRequestId.
func (s *server) inquire(requestID string) (*reply, error) {
	return s.send(gatewaytest.Request{Path: pathInquiryV1, Body: fmt.Sprintf(`{"paymentRequestId":%q}`, requestID)})
}

// wantFinal is the final status a payment of this amount reaches on the
// simulated wallet, for the amounts the fault tests use.
func wantFinal(value int64) gateway.PaymentStatus {
	switch value {
	case 9904, 9905, 9906, 9907, 9908, 9909:
		return gateway.PaymentFail
	}
	return gateway.PaymentSuccess
}

// waitFinal asks the store until no payment is PROCESSING, or the deadline
// passes; it returns how long that took and the request ids still
// PROCESSING.
func waitFinal(t *testing.T, e *env, deadline time.Duration) (time.Duration, []string) {
	t.Helper()
	st := openStore(t, e)
	defer st.Close()
	start := time.Now()
	var left []string
	gatewaytest.WaitFor(deadline, func() bool { left = processing(t, st); return len(left) == 0 })
	return time.Since(start), left
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
	slices.SortFunc(list, func(a, b kv) int { return cmp.Or(b.v-a.v, strings.Compare(a.k, b.k)) })
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
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(t.m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, t.m[k]))
	}
	return strings.Join(parts, ", ")
}

// count returns how many answers were counted under k.
func (t *tally) count(k string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[k]
}

func answerKey(a attempt) string {
	if a.err != nil {
		return "transport error"
	}
	return string(a.result.Status) + " " + a.result.Code
}

// try sends r to s and returns what came of it, as an attempt of the
// payment requestID of the given value.
func (s *server) try(requestID string, value int64, r gatewaytest.Request) attempt {
	rep, err := s.send(r)
	a := attempt{requestID: requestID, value: value, err: err}
	if rep != nil {
		a.result, a.paymentID = rep.Result, rep.PaymentID
	}
	return a
}

// record is what concurrent clients got: every attempt answered or cut
// short, a tally of the answers, and the answers that were not valid
// signed API answers (findings, never an effect of a kill). It is safe for
// concurrent use.
type record struct {
	answers  tally
	mu       sync.Mutex
	attempts []attempt
	bad      []string
}

// add records a, and reports whether its answer was a bad one (which is
// counted, but not kept as an attempt).
func (r *record) add(a attempt) (bad bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if isBadAnswer(a.err) {
		r.bad = append(r.bad, a.err.Error())
		r.answers.add("bad answer")
		return true
	}
	r.attempts = append(r.attempts, a)
	r.answers.add(answerKey(a))
	return false
}

// all returns the attempts recorded so far.
func (r *record) all() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}

// checkBad fails the test for the bad answers recorded.
func (r *record) checkBad(t *testing.T, what string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Errorf("%s: %d answers were not valid signed API answers; first: %s", what, len(r.bad), r.bad[0])
	}
}

// byRequestID groups attempts by request id and returns the ids, sorted.
func byRequestID(as ...[]attempt) (map[string][]attempt, []string) {
	out := map[string][]attempt{}
	var ids []string
	for _, list := range as {
		for _, a := range list {
			if _, ok := out[a.requestID]; !ok {
				ids = append(ids, a.requestID)
			}
			out[a.requestID] = append(out[a.requestID], a)
		}
	}
	slices.Sort(ids)
	return out, ids
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
