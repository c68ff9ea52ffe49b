//go:build unix

package main

// Helpers of the end-to-end tests (e2e_test.go): they run the real antomgw
// binary's commands and its server with internal/gatewaytest, and talk to
// the server as a merchant would, with requests signed by package wire and
// every answer's signature checked against the exported gateway key.

import (
	"bufio"
	"crypto/rsa"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// e2e is one end-to-end scenario: a scratch directory, a data directory,
// the gateway public keys exported so far, and every output of every
// command and server it ran.
type e2e struct {
	t    *testing.T
	dir  string // scratch files: keys, bodies
	data string // --data of every command
	// client is the HTTP client of the servers started from now on; nil
	// is gatewaytest's.
	client *http.Client
	// gatewayKeys are the gateway public keys by version, as printed by
	// "antomgw keys export".
	gatewayKeys map[int]*rsa.PublicKey

	mu        sync.Mutex
	outputs   []string // stdout and stderr of every command, for the secret check
	servers   []*gatewaytest.Process
	merchants map[sender]*gatewaytest.Merchant
}

// sender is a client talking to one server.
type sender struct {
	p *gatewaytest.Process
	m *merchant
}

// newE2E starts a scenario; it skips the test under -short (see
// gatewaytest.Binary).
func newE2E(t *testing.T) *e2e {
	t.Helper()
	gatewaytest.Binary(t)
	e := &e2e{t: t, dir: t.TempDir(), gatewayKeys: map[int]*rsa.PublicKey{}, merchants: map[sender]*gatewaytest.Merchant{}}
	// The data directory does not exist yet: the gateway creates it.
	e.data = filepath.Join(e.dir, "data")
	return e
}

// newServing starts a scenario with a server ("antomgw serve" with
// flags) and one client, clientID, registered with the CLI while it runs;
// the gateway key version 1 is exported.
func newServing(t *testing.T, clientID string, flags ...string) (*e2e, *gatewaytest.Process, *merchant) {
	t.Helper()
	e := newE2E(t)
	s := e.start(flags...)
	m := e.addMerchant(clientID)
	e.exportGatewayKey(1)
	return e, s, m
}

// addNotifiedMerchant registers clientID with its notifications going to
// a gatewaytest.Sink (on an httptest server closed when the test ends)
// that verifies them with the gateway key version 1, which it exports.
func (e *e2e) addNotifiedMerchant(clientID string) (*merchant, *gatewaytest.Sink) {
	e.t.Helper()
	m := e.addMerchant(clientID)
	e.exportGatewayKey(1)
	sink := gatewaytest.NewSink(e.gatewayKeys)
	hook := httptest.NewServer(sink)
	e.t.Cleanup(hook.Close)
	e.cli("clients", "update", "--data", e.data, "--client-id", m.id, "--notify-url", hook.URL+"/antom/notify")
	return m, sink
}

// allOutput returns every stdout and stderr seen so far, servers included.
func (e *e2e) allOutput() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	all := slices.Clone(e.outputs)
	for _, s := range e.servers {
		all = append(all, s.Stdout(), s.Stderr())
	}
	return strings.Join(all, "\n")
}

func (e *e2e) path(name string) string { return filepath.Join(e.dir, name) }

// try runs the binary with args and returns what it did, whatever the exit
// code.
func (e *e2e) try(args ...string) gatewaytest.CLIResult {
	e.t.Helper()
	r := gatewaytest.RunCLI(e.t, args...)
	e.mu.Lock()
	e.outputs = append(e.outputs, r.Stdout, r.Stderr)
	e.mu.Unlock()
	return r
}

// cli runs the binary with args, fails the test unless it exits 0, and
// returns its stdout.
func (e *e2e) cli(args ...string) string {
	e.t.Helper()
	r := e.try(args...)
	if r.ExitCode != 0 {
		e.t.Fatalf("antomgw %s: exit %d, want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.ExitCode, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// start runs "antomgw serve" on the scenario's data directory with extra
// flags and waits until it is ready.
func (e *e2e) start(extra ...string) *gatewaytest.Process {
	e.t.Helper()
	p, err := gatewaytest.ServeConfig{DataDir: e.data, Args: extra, Client: e.client}.Start(e.t)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.servers = append(e.servers, p)
	e.mu.Unlock()
	return p
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

// answer is a verified answer (see gatewaytest.Reply) and the payment
// fields of its body.
type answer struct {
	*gatewaytest.Reply `json:"-"`
	PaymentID          string `json:"paymentId"`
	PaymentRequestID   string `json:"paymentRequestId"`
	PaymentStatus      string `json:"paymentStatus"`
}

// do sends r to the server p as m (signed with m's key version 1 unless r
// says otherwise) and checks the answer as gatewaytest.Merchant does: HTTP
// 200, client-id echoed, signed by an exported gateway key, opened with
// the merchant's key when encrypted, a JSON body with a valid result.
func (e *e2e) do(p *gatewaytest.Process, m *merchant, r gatewaytest.Request) *answer {
	e.t.Helper()
	e.mu.Lock()
	gm := e.merchants[sender{p, m}]
	if gm == nil {
		gm = &gatewaytest.Merchant{URL: p.URL, ClientID: m.id, Key: m.keys[1], GatewayKeys: e.gatewayKeys, Client: p.Client}
		e.merchants[sender{p, m}] = gm
	}
	e.mu.Unlock()
	rep, err := gm.Try(r)
	if err != nil {
		e.t.Fatalf("%v\n--- server stderr (tail) ---\n%s", err, p.Tail())
	}
	a := gatewaytest.Decode[answer](e.t, rep)
	a.Reply = rep
	return &a
}

// signedWith returns a Request.Sign that signs with key and names key
// version v in the Signature header, or no version when v is 0 (the
// gateway then tries the client's keys, newest first).
func signedWith(key *rsa.PrivateKey, v int) func(content []byte) string {
	return func(content []byte) string {
		sig, err := wire.Sign(key, content)
		if err != nil {
			panic(err)
		}
		if v == 0 {
			// wire.SignatureHeader always writes a keyVersion; leave it out.
			return "algorithm=RSA256,signature=" + sig
		}
		return wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: v, Signature: sig}.String()
	}
}

// signedReq is a request signed by key (which also opens an encrypted
// answer), naming key version v in its Signature header (0: naming none).
func signedReq(key *rsa.PrivateKey, v int, path, body string) gatewaytest.Request {
	return gatewaytest.Request{Path: path, Body: body, Key: key, Sign: signedWith(key, v)}
}

// expect fails the test unless the answer's result is status/code.
func expect(t *testing.T, a *answer, status wire.Status, code string, what string) {
	t.Helper()
	if a.Result.Status != status || a.Result.Code != code {
		t.Fatalf("%s: result = %s %s (%q), want %s %s\nbody %s", what, a.Result.Status, a.Result.Code, a.Result.Message, status, code, a.Plain)
	}
}

// get fetches path (GET) from the server and returns the body.
func get(t *testing.T, p *gatewaytest.Process, path string) string {
	t.Helper()
	resp, err := p.Client.Get(p.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", path, resp.Status, err)
	}
	return string(b)
}

// rawHeaders posts a signed inquiry over a plain TCP connection and returns
// the response's status line and header block exactly as sent, so that the
// case of header names can be checked (net/http canonicalises them).
func rawHeaders(t *testing.T, p *gatewaytest.Process, m *merchant, path, body string) string {
	t.Helper()
	reqTime := wire.FormatTime(time.Now())
	sig, err := wire.Sign(m.keys[1], wire.SigningContent(http.MethodPost, path, m.id, reqTime, []byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", p.Addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", p.Addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json; charset=UTF-8\r\nClient-Id: %s\r\nRequest-Time: %s\r\n"+
		"Signature: algorithm=RSA256,keyVersion=1,signature=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		path, p.Addr, m.id, reqTime, sig, len(body), body)
	br := bufio.NewReader(conn)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read raw response: %v (so far %q)", err, head.String())
		}
		if line == "\r\n" {
			return head.String()
		}
		head.WriteString(line)
	}
}
