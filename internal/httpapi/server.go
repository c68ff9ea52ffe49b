// Package httpapi is the HTTP edge of the gateway: it routes the Antom API
// paths of both families, runs every call through one pipeline (method,
// path, size, media types, client, time, signature, encryption, JSON) and
// answers with a signed body whose result says S, F or U.
package httpapi

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// DefaultMaxBody is the default limit on a request body.
const DefaultMaxBody = 1 << 20

// Server serves the gateway's HTTP API. Set Service and Keyring; every other
// field has a working default. It is safe for concurrent use.
type Server struct {
	Service *gateway.Service
	Keyring *gateway.Keyring

	// Log receives one line per request. Defaults to discarding.
	Log *slog.Logger
	// Metrics, when set, is updated for every request and served at
	// /metrics.
	Metrics *Metrics
	// MaxBody is the largest request body accepted, in bytes. Defaults to
	// DefaultMaxBody (1 MiB).
	MaxBody int64
	// MaxClockSkew, when positive, refuses requests whose Request-Time is
	// further than this from the server's clock. Off by default: Antom
	// documents no freshness window.
	MaxClockSkew time.Duration
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
	// Ready reports whether the store is open and migrated, for /readyz.
	// Defaults to always ready.
	Ready func() bool

	mismatchLogged sync.Map // client, header and verified key versions logged once
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// ServeHTTP serves /healthz, /readyz, /metrics and the API paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	case "/readyz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.Ready != nil && !s.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready\n")
			return
		}
		io.WriteString(w, "ready\n")
		return
	case "/metrics":
		if s.Metrics != nil && r.Method == http.MethodGet {
			s.Metrics.handler.ServeHTTP(w, r)
			return
		}
	}
	s.serveAPI(w, r)
}

// exchange is one API call on its way through the pipeline.
type exchange struct {
	start    time.Time
	route    route
	routed   bool
	uri      string // path (and ?query) as signed
	clientID string
	client   gateway.Client // the registered client, once known
	keys     *gateway.Keys

	// encryptTo is the client's key to encrypt the answer with, when the
	// request was encrypted and the client is known.
	encrypted  bool
	encryptTo  *rsa.PublicKey
	encryptVer int

	reqTime string // the Request-Time header
	body    []byte // the request body as received (and signed)

	result    wire.Result
	replay    bool
	responded bool // the status line is written
}

// failure is a pipeline step's refusal: the result to answer with.
type failure struct {
	code, msg string
}

func fail(code, format string, args ...any) *failure {
	return &failure{code: code, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	x := &exchange{start: s.now(), uri: requestURI(r), clientID: r.Header.Get(wire.HeaderClientID)}
	keys, err := s.Keyring.Keys(r.Context())
	if err != nil {
		s.log().Error("registry unavailable", "err", err)
		if s.Metrics != nil {
			s.Metrics.storeErrors.Inc()
		}
		http.Error(w, "registry unavailable", http.StatusServiceUnavailable)
		return
	}
	x.keys = keys
	defer s.recoverPanic(w, r, x)

	body, res, hold, f := s.pipeline(r, x)
	if f != nil {
		x.result = wire.NewResult(f.code, clip(f.msg, 256))
		body = mustJSON(struct {
			Result wire.Result `json:"result"`
		}{x.result})
	} else {
		x.result = res
	}
	if hold > 0 {
		s.hold(r.Context(), hold)
	}
	s.respond(w, r, x, body)
}

// recoverPanic turns a panic in the pipeline (a bug) into a signed
// U UNKNOWN_EXCEPTION answer, so that no panic reaches a user as a dropped
// connection, and logs it with its stack.
func (s *Server) recoverPanic(w http.ResponseWriter, r *http.Request, x *exchange) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log().Error("panic serving request", "client_id", x.clientID, "api", x.route.api, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if s.Metrics != nil {
		s.Metrics.storeErrors.Inc()
	}
	if x.responded {
		return
	}
	x.replay = false
	x.result = wire.NewResult(wire.CodeUnknownException, "Internal error; retry the same request or inquire its status.")
	s.respond(w, r, x, mustJSON(struct {
		Result wire.Result `json:"result"`
	}{x.result}))
}

// hold delays an answer (the simulator's lost-response scenario) until d
// passes or the client goes away.
func (s *Server) hold(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// pipeline runs the checks in the documented order and then the API. On a
// refusal it returns a failure and has changed nothing.
func (s *Server) pipeline(r *http.Request, x *exchange) ([]byte, wire.Result, time.Duration, *failure) {
	if r.Method != http.MethodPost {
		return nil, wire.Result{}, 0, fail(wire.CodeMethodNotSupported, "HTTP method %s is not supported; use POST", clip(r.Method, 16))
	}
	rt, ok := lookupRoute(r.URL.Path)
	if !ok {
		return nil, wire.Result{}, 0, fail(wire.CodeNoInterfaceDef, "no API is defined at %s", clip(r.URL.Path, 128))
	}
	x.route, x.routed = rt, true

	maxBody := s.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "request body could not be read: %v", err)
	}
	if int64(len(body)) > maxBody {
		return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "request body exceeds %d bytes", maxBody)
	}

	x.body = body
	encHeader := r.Header.Get(wire.HeaderEncrypt)
	x.encrypted = encHeader != ""
	if f := checkContentType(r.Header.Values(wire.HeaderContentType), x.encrypted); f != nil {
		return nil, wire.Result{}, 0, f
	}

	if x.clientID == "" {
		return nil, wire.Result{}, 0, fail(wire.CodeInvalidClient, "Client-Id header is missing")
	}
	client, err := x.keys.Client(x.clientID)
	if err != nil {
		return nil, wire.Result{}, 0, fail(wire.CodeInvalidClient, "Client-Id %q is not registered", clip(x.clientID, 64))
	}
	x.client = client

	reqTime := r.Header.Get(wire.HeaderRequestTime)
	if reqTime == "" {
		return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "Request-Time header is missing")
	}
	x.reqTime = reqTime
	t, err := wire.ParseTime(reqTime)
	if err != nil {
		return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "Request-Time header: %s", detail(err))
	}
	if s.MaxClockSkew > 0 {
		if skew := s.now().Sub(t); skew > s.MaxClockSkew || skew < -s.MaxClockSkew {
			return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "Request-Time %s is %s away from the gateway clock; at most %s is allowed", clip(reqTime, 40), skew.Round(time.Millisecond), s.MaxClockSkew)
		}
	}

	sigValue := r.Header.Get(wire.HeaderSignature)
	if sigValue == "" {
		return nil, wire.Result{}, 0, fail(wire.CodeInvalidSignature, "Signature header is missing")
	}
	sh, err := wire.ParseSignatureHeader(sigValue)
	if err != nil {
		return nil, wire.Result{}, 0, fail(wire.CodeInvalidSignature, "%s", detail(err))
	}
	if !strings.EqualFold(sh.Algorithm, wire.AlgorithmRSA256) {
		return nil, wire.Result{}, 0, fail(wire.CodeInvalidSignature, "Signature algorithm %q is not supported; use algorithm=RSA256", clip(sh.Algorithm, 32))
	}
	msg := wire.Message{Method: r.Method, URI: x.uri, ClientID: x.clientID, Time: reqTime, Body: body}
	pub, ver, f := s.verifyClient(x, sh, msg)
	if f != nil {
		s.log().Debug("signature mismatch", "client_id", x.clientID, "string_to_sign", string(msg.Content()))
		return nil, wire.Result{}, 0, f
	}
	if x.encrypted {
		x.encryptTo, x.encryptVer = pub, ver
	}

	if x.encrypted {
		eh, err := wire.ParseEncryptHeader(encHeader)
		if err != nil {
			return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "%s", detail(err))
		}
		priv, _, err := x.keys.GatewayKey(x.clientID, eh.KeyVersion)
		if err != nil {
			return nil, wire.Result{}, 0, fail(wire.CodeKeyNotFound, "Encrypt header keyVersion %d is not a published or active gateway key version", eh.KeyVersion)
		}
		plain, err := wire.DecryptBody(priv, eh, body)
		if err != nil {
			return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "cannot decrypt the body (Encrypt header / body): %s", detail(err))
		}
		body = plain
	}

	if !utf8.Valid(body) {
		return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "request body is not valid UTF-8")
	}
	out, err := s.call(r.Context(), x, body)
	if err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, wire.Result{}, 0, fail(wire.CodeParamIllegal, "%s", fe.Error())
		}
		res := errorResult(err)
		if res.Code == wire.CodeUnknownException {
			s.log().Error("call failed", "client_id", x.clientID, "api", x.route.api, "err", err)
			if s.Metrics != nil {
				s.Metrics.storeErrors.Inc()
			}
		}
		return nil, wire.Result{}, 0, &failure{code: res.Code, msg: res.Message}
	}
	x.replay = out.replay
	return out.body, out.result, out.hold, nil
}

// verifyClient verifies a request signature with the client's keys: the
// version the header names (the newest when it names none) first, then the
// client's other active versions, because official SDKs send keyVersion=1
// whatever key they sign with. It returns the key that verified and its
// version, or the refusal: KEY_NOT_FOUND when the named version is not an
// active key and no other verifies, INVALID_SIGNATURE naming every version
// tried otherwise. Retired keys are never tried.
func (s *Server) verifyClient(x *exchange, sh wire.SignatureHeader, msg wire.Message) (*rsa.PublicKey, int, *failure) {
	cands, err := x.keys.ClientKeyCandidates(x.clientID, sh.KeyVersion)
	if err != nil || len(cands) == 0 {
		return nil, 0, fail(wire.CodeKeyNotFound, "client %s has no active public key", clip(x.clientID, 64))
	}
	for _, c := range cands {
		err := msg.Verify(c.Key, sh)
		if errors.Is(err, wire.ErrSignatureEncoding) {
			return nil, 0, fail(wire.CodeInvalidSignature, "signature value is not URL-encoded base64 (%s)", detail(err))
		}
		if err == nil {
			if c.Version != cands[0].Version || (sh.KeyVersion != 0 && c.Version != sh.KeyVersion) {
				s.keyVersionMismatch(x.clientID, sh.KeyVersion, c.Version)
			}
			return c.Key, c.Version, nil
		}
	}
	namedActive := sh.KeyVersion == 0 || cands[0].Version == sh.KeyVersion
	if !namedActive {
		return nil, 0, fail(wire.CodeKeyNotFound, "keyVersion %d is not an active key of client %s, and the signature verifies with none of its active versions (%s)",
			sh.KeyVersion, clip(x.clientID, 64), versionList(cands))
	}
	sum := sha256.Sum256(x.body)
	var keys strings.Builder
	for i, c := range cands {
		if i > 0 {
			keys.WriteString(", ")
		}
		fp := strings.TrimPrefix(wire.Fingerprint(c.Key), "SHA256:")
		fmt.Fprintf(&keys, "v%d sha256 %s", c.Version, fp[:12])
	}
	return nil, 0, fail(wire.CodeInvalidSignature, "%s", clip(fmt.Sprintf("signature does not verify over POST %s, client-id %s, request-time %s, body %d bytes sha256 %s; key versions tried: %s",
		clip(x.uri, 48), clip(x.clientID, 32), clip(x.reqTime, 32), len(x.body), hex.EncodeToString(sum[:8]), keys.String()), 256))
}

// keyVersionMismatch counts a request that verified with another key
// version than the one it named, and logs it once per client and pair of
// versions: the merchant's SDK names a version it does not sign with.
func (s *Server) keyVersionMismatch(clientID string, named, verified int) {
	if s.Metrics != nil {
		s.Metrics.keyVersionMismatch.WithLabelValues(clientID).Inc()
	}
	if _, seen := s.mismatchLogged.LoadOrStore(fmt.Sprintf("%s\x00%d\x00%d", clientID, named, verified), true); !seen {
		s.log().Warn("request signature verified with another key version than the header names",
			"client_id", clientID, "header_key_version", named, "verified_key_version", verified)
	}
}

// detail is what a wire error says without its "wire:" prefix.
func detail(err error) string {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Detail
	}
	return err.Error()
}

func versionList(cands []gateway.VersionedKey) string {
	parts := make([]string, len(cands))
	for i, c := range cands {
		parts[i] = strconv.Itoa(c.Version)
	}
	return strings.Join(parts, ", ")
}

// respond signs (and, for an encrypted request, encrypts) body and writes it.
// Every answer is signed, errors included.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, x *exchange, body []byte) {
	now := s.now()
	respTime := wire.FormatTime(now)
	h := w.Header()
	if x.encryptTo != nil {
		enc, eh, err := wire.EncryptBody(nil, x.encryptTo, x.encryptVer, body)
		if err == nil {
			body = enc
			h["encrypt"] = []string{eh.String()}
			h.Set("Content-Type", "text/plain; charset=UTF-8")
		} else {
			s.log().Error("encrypt response", "client_id", x.clientID, "err", err)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; charset=UTF-8")
	}
	m := wire.Message{Method: r.Method, URI: x.uri, ClientID: x.clientID, Time: respTime, Body: body}
	key, ver, err := x.keys.SigningKey(x.clientID)
	if err == nil {
		err = m.WriteHeaders(h, wire.Answer, key, ver)
	}
	if err != nil {
		s.log().Error("sign response", "err", err)
		h[wire.HeaderResponseTime] = []string{respTime}
		h[wire.HeaderClientID] = []string{x.clientID}
	}
	if x.replay {
		h["x-idempotent-replay"] = []string{"true"}
	}
	x.responded = true
	w.WriteHeader(http.StatusOK)
	w.Write(body)

	api := "unknown"
	if x.routed {
		api = string(x.route.api)
	}
	latency := s.now().Sub(x.start)
	s.log().Info("request", "client_id", x.clientID, "api", api, "family", x.route.family,
		"result", x.result.Code, "status", x.result.Status, "replay", x.replay, "latency", latency)
	if s.Metrics != nil {
		s.Metrics.observe(api, x.result, latency)
	}
	if s.log().Enabled(r.Context(), slog.LevelDebug) {
		s.log().Debug("response body", "client_id", x.clientID, "body", string(body))
	}
}

// requestURI is the URI as signed: the path, and ?query when there is one.
func requestURI(r *http.Request) string {
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	return uri
}

// checkContentType accepts application/json, or text/plain for an encrypted
// body, with no charset or charset UTF-8. Every value of a repeated header
// must pass (the official Go SDK sends two).
func checkContentType(values []string, encrypted bool) *failure {
	if len(values) == 0 {
		return fail(wire.CodeMediaTypeNotAcceptable, "Content-Type header is missing; send application/json; charset=UTF-8")
	}
	for _, v := range values {
		mt, params, err := mime.ParseMediaType(v)
		if err != nil {
			return fail(wire.CodeMediaTypeNotAcceptable, "Content-Type %q does not parse", clip(v, 64))
		}
		if mt != "application/json" && !(encrypted && mt == "text/plain") {
			want := "application/json"
			if encrypted {
				want += " or text/plain"
			}
			return fail(wire.CodeMediaTypeNotAcceptable, "Content-Type %s is not acceptable; send %s", clip(mt, 64), want)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return fail(wire.CodeMediaTypeNotAcceptable, "Content-Type charset %s is not acceptable; send charset=UTF-8", clip(cs, 32))
		}
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own response types are marshalled
	}
	return b
}
