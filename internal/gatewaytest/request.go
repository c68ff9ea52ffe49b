package gatewaytest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Request is one API request for Merchant.Do (and Gateway.Do). Zero fields
// get what a well-behaved merchant sends: POST, JSON content type, the
// merchant's client id, a fresh Request-Time on its clock and a signature by
// its key with keyVersion 1.
type Request struct {
	// Method defaults to POST.
	Method string
	// Path is the path (and query) after the base URL; it is sent and
	// signed exactly as given.
	Path string
	// Body is the request body (the plaintext when Encrypt is set).
	Body string
	// ClientID, when set, is the Client-Id sent ("" sends none).
	ClientID *string
	// Time, when set, is the Request-Time sent ("" sends none).
	Time *string
	// Key signs the request and opens an encrypted answer. Defaults to the
	// Merchant's Key.
	Key *rsa.PrivateKey
	// Sign, when set, returns the whole Signature header for the signing
	// content (wire.Message.Content of the request as sent).
	Sign func(content []byte) string
	// Signature, when set, is the exact Signature header ("" sends none);
	// it wins over Sign.
	Signature *string
	// Encrypt sends Body encrypted (RSA_AES) for a gateway key as
	// text/plain with an Encrypt header.
	Encrypt bool
	// EncryptKeyVersion is the gateway key version Encrypt encrypts for.
	// Defaults to 1.
	EncryptKeyVersion int
	// Header sets headers after the defaults; a "" value deletes one.
	Header map[string]string
	// AddHeader adds header values after Header, in order, so a header
	// may be sent more than once.
	AddHeader [][2]string
	// Context is the request's context (to abandon it). Defaults to
	// context.Background.
	Context context.Context
	// Client sends the request. Defaults to the Merchant's Client.
	Client *http.Client
}

// Reply is a verified answer: HTTP 200, the request's client-id echoed, a
// response-time, a signature by the gateway over the request's method, path,
// client id, response time and body, and a JSON body whose result has
// status S, F or U.
type Reply struct {
	StatusCode int
	Header     http.Header
	// Body is the body as received (the ciphertext of an encrypted
	// answer).
	Body []byte
	// Plain is the JSON body: Body, or the opened body of an encrypted
	// answer.
	Plain []byte
	// Encrypted reports whether the answer was encrypted.
	Encrypted bool
	// KeyVersion is the version of the gateway key that signed it.
	KeyVersion int
	// Result is the answer's result.
	Result wire.Result
}

// Replay reports whether the answer is marked as the replay of an earlier
// one (x-idempotent-replay: true).
func (r *Reply) Replay() bool { return r.Header.Get("x-idempotent-replay") == "true" }

// Decode unmarshals the reply's JSON body (opened when encrypted) into a T,
// failing the test when it does not unmarshal.
func Decode[T any](tb testing.TB, r *Reply) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(r.Plain, &v); err != nil {
		tb.Fatalf("gatewaytest: answer %s: %v", r.Plain, err)
	}
	return v
}

// Merchant sends signed API requests to a gateway as one registered
// client and verifies the answers (see Reply): an in-process Gateway's
// (Gateway.Merchant), or an antomgw serve Process's, built by the test from
// the client it registered and the gateway keys it exported. Set URL,
// ClientID, Key and GatewayKeys; the other fields have defaults. It is safe
// for concurrent use; do not change its fields once it is in use.
type Merchant struct {
	// URL is the gateway's base URL.
	URL string
	// ClientID is the Client-Id sent.
	ClientID string
	// Key is the client's private key: it signs requests as keyVersion 1
	// (unless a Request brings its own Key, Sign or Signature) and opens
	// encrypted answers.
	Key *rsa.PrivateKey
	// GatewayKeys are the gateway's public keys by version: answers are
	// verified with the version their Signature header names, and
	// Request.Encrypt encrypts for one of them.
	GatewayKeys map[int]*rsa.PublicKey
	// Now is the clock of Request-Time. Defaults to time.Now.
	Now func() time.Time
	// Client sends requests that name no Client. Defaults to
	// http.DefaultClient.
	Client *http.Client

	// moreKeys, when set, finds gateway key versions GatewayKeys lacks.
	moreKeys func(ctx context.Context, version int) (*rsa.PublicKey, error)
	seq      atomic.Int64
}

// RequestTime returns a Request-Time on the merchant's clock, a
// millisecond later than the one before it, so that no two requests are
// signed over the same time.
func (m *Merchant) RequestTime() string {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	return wire.FormatTime(now().Add(time.Duration(m.seq.Add(1)) * time.Millisecond))
}

// Sign returns the Signature header the merchant sends for content (see
// wire.Message.Content): RSA256 with Key, keyVersion 1.
func (m *Merchant) Sign(content []byte) (string, error) {
	sig, err := wire.Sign(m.Key, content)
	if err != nil {
		return "", err
	}
	return wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: 1, Signature: sig}.String(), nil
}

// Do sends r and returns the verified answer; it fails the test when the
// request cannot be sent or the answer does not verify (see Reply).
func (m *Merchant) Do(tb testing.TB, r Request) *Reply {
	tb.Helper()
	rep, err := m.Try(r)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// Try is Do returning the error instead of failing the test, for requests
// sent from other goroutines.
func (m *Merchant) Try(r Request) (*Reply, error) {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	clientID := m.ClientID
	if r.ClientID != nil {
		clientID = *r.ClientID
	}
	reqTime := ""
	if r.Time != nil {
		reqTime = *r.Time
	} else {
		reqTime = m.RequestTime()
	}
	key := r.Key
	if key == nil {
		key = m.Key
	}
	ctx := r.Context
	if ctx == nil {
		ctx = context.Background()
	}
	body, contentType, encHeader := []byte(r.Body), "application/json; charset=UTF-8", ""
	if r.Encrypt {
		v := max(r.EncryptKeyVersion, 1)
		pub, err := m.gatewayKey(ctx, v)
		if err != nil {
			return nil, err
		}
		enc, eh, err := wire.EncryptBody(nil, pub, v, body)
		if err != nil {
			return nil, fmt.Errorf("encrypt request: %w", err)
		}
		body, contentType, encHeader = enc, "text/plain; charset=UTF-8", eh.String()
	}
	hr, err := http.NewRequestWithContext(ctx, method, m.URL+r.Path, bytes.NewReader(body))
	if err != nil {
		return nil, err
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
	msg := wire.Message{Method: method, URI: r.Path, ClientID: clientID, Time: reqTime, Body: body}
	content := msg.Content()
	switch {
	case r.Signature != nil:
		if *r.Signature != "" {
			hr.Header.Set("Signature", *r.Signature)
		}
	case r.Sign != nil:
		hr.Header.Set("Signature", r.Sign(content))
	default:
		sh, err := msg.Sign(key, 1)
		if err != nil {
			return nil, err
		}
		hr.Header.Set("Signature", sh.String())
	}
	for k, v := range r.Header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	for _, kv := range r.AddHeader {
		hr.Header.Add(kv[0], kv[1])
	}
	client := m.Client
	if r.Client != nil {
		client = r.Client
	}
	if client == nil {
		client = http.DefaultClient
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
	rep := &Reply{StatusCode: resp.StatusCode, Header: resp.Header, Body: rb, Plain: rb}
	if err := m.verify(ctx, method, r.Path, clientID, key, rep); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, r.Path, err)
	}
	return rep, nil
}

// verify checks rep as Reply documents and fills in its Plain, Encrypted,
// KeyVersion and Result.
func (m *Merchant) verify(ctx context.Context, method, uri, clientID string, key *rsa.PrivateKey, rep *Reply) error {
	if rep.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP status = %d, want 200; body %s", rep.StatusCode, rep.Body)
	}
	if got := rep.Header.Get("client-id"); got != clientID {
		return fmt.Errorf("response client-id = %q, want %q", got, clientID)
	}
	respTime := rep.Header.Get("response-time")
	if _, err := wire.ParseTime(respTime); err != nil {
		return fmt.Errorf("response-time %q: %v", respTime, err)
	}
	sh, err := wire.ParseSignatureHeader(rep.Header.Get("signature"))
	if err != nil {
		return fmt.Errorf("response signature header %q: %v", rep.Header.Get("signature"), err)
	}
	rep.KeyVersion = sh.KeyVersion
	pub, err := m.gatewayKey(ctx, sh.KeyVersion)
	if err != nil {
		return err
	}
	if err := (wire.Message{Method: method, URI: uri, ClientID: clientID, Time: respTime, Body: rep.Body}).Verify(pub, sh); err != nil {
		return fmt.Errorf("response signature (keyVersion %d) does not verify: %v; body %s", sh.KeyVersion, err, rep.Body)
	}
	if eh := rep.Header.Get("encrypt"); eh != "" {
		e, err := wire.ParseEncryptHeader(eh)
		if err != nil {
			return fmt.Errorf("response encrypt header %q: %v", eh, err)
		}
		if rep.Plain, err = wire.DecryptBody(key, e, rep.Body); err != nil {
			return fmt.Errorf("open encrypted response: %v", err)
		}
		rep.Encrypted = true
	}
	var res struct {
		Result wire.Result `json:"result"`
	}
	if err := json.Unmarshal(rep.Plain, &res); err != nil {
		return fmt.Errorf("response body %q: %v", rep.Plain, err)
	}
	if !res.Result.Status.Valid() {
		return fmt.Errorf("response result status %q is not S, F or U; body %s", res.Result.Status, rep.Plain)
	}
	rep.Result = res.Result
	return nil
}

// gatewayKey returns the gateway's public key version v.
func (m *Merchant) gatewayKey(ctx context.Context, v int) (*rsa.PublicKey, error) {
	if pub, ok := m.GatewayKeys[v]; ok {
		return pub, nil
	}
	if m.moreKeys != nil {
		return m.moreKeys(ctx, v)
	}
	return nil, fmt.Errorf("gateway keyVersion %d is not among the merchant's gateway keys", v)
}

// Merchant returns the registered client as a Merchant of the gateway: its
// key, the gateway's key version 1 as given (a version a test adds later,
// by rotating, is taken from the store), the gateway's clock for
// Request-Time.
func (g *Gateway) Merchant() *Merchant { return g.merchantOf }

// Do sends r as the registered client and returns the verified answer; it
// fails the test when the request cannot be sent or the answer does not
// verify (see Reply).
func (g *Gateway) Do(tb testing.TB, r Request) *Reply {
	tb.Helper()
	return g.merchantOf.Do(tb, r)
}

// Try is Do returning the error instead of failing the test, for requests
// sent from other goroutines.
func (g *Gateway) Try(r Request) (*Reply, error) { return g.merchantOf.Try(r) }

// storeGatewayKey returns the public key of a gateway key version the
// store holds.
func (g *Gateway) storeGatewayKey(ctx context.Context, v int) (*rsa.PublicKey, error) {
	keys, err := g.node.Service.GatewayKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway keys: %v", err)
	}
	for _, k := range keys {
		if k.Version == v {
			return k.PublicKey, nil
		}
	}
	return nil, fmt.Errorf("response keyVersion %d is not a gateway key version", v)
}
