// Package httpapi is the HTTP edge of the gateway: it routes the Antom API
// paths of both families, runs every call through one pipeline (method,
// path, size, media types, client, time, signature, encryption, JSON) and
// answers with a signed body whose result says S, F or U.
package httpapi

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/traffic"
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
	// Traffic, when set, keeps every API exchange (for the console).
	Traffic *traffic.Ring
	// RefusalRate, when positive, is how many refusals before
	// authentication (unknown client, bad signature or headers) a second,
	// over all clients, are answered in full; beyond it they get a cached
	// U REQUEST_TRAFFIC_EXCEED_LIMIT or a closed connection (see
	// refusal.go). 0: no limit.
	RefusalRate int
	// RefusalBurst is how many such refusals may come at once. Defaults to
	// RefusalRate.
	RefusalBurst int

	mismatchLogged sync.Map // client, header and verified key versions logged once

	refusalClock  func() time.Time // the refusal budget's clock; time.Now when nil
	overLimitWait *time.Duration   // overLimitDelay when nil (tests set it)
	refusalOnce   sync.Once
	refusalLimit  *refusalLimiter
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
	start    time.Time // on the gateway's clock
	began    time.Time // on the real clock, for the latency
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
	plain   []byte // the decrypted body of an encrypted request

	verifiedVer int // the client key version the signature verified with

	// signOne, when set, is held while the answer is signed: refusals
	// before authentication are signed one at a time.
	signOne chan struct{}

	result    wire.Result
	replay    bool
	responded bool // the status line is written

	// ruleID and rule: the scenario rule that shaped the answer;
	// httpStatus its 5xx status (0: 200).
	ruleID, rule string
	httpStatus   int
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	x := &exchange{start: s.now(), began: time.Now(), uri: requestURI(r), clientID: r.Header.Get(wire.HeaderClientID)}
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

	out, err := s.pipeline(r, x)
	if errors.Is(err, errClientGone) {
		s.log().Debug("connection broke while the request body was read", "client_id", x.clientID, "remote", r.RemoteAddr)
		panic(http.ErrAbortHandler) // nothing to answer; net/http closes what is left
	}
	if err != nil {
		if l := s.refusals(); l != nil && preAuthRefusal(err, x) {
			if !l.allow() {
				s.refuseOverLimit(w, r, x, l)
				return
			}
			x.signOne = l.signing
		}
		x.result = errorResult(err)
		if x.result.Code == wire.CodeUnknownException {
			s.log().Error("call failed", "client_id", x.clientID, "api", x.route.api, "err", err)
			if s.Metrics != nil {
				s.Metrics.storeErrors.Inc()
			}
		}
		out = respondWith(x.result, struct {
			Result wire.Result `json:"result"`
		}{x.result})
	}
	x.result, x.replay = out.result, out.replay
	if out.hold > 0 {
		s.hold(r.Context(), w, out.hold)
	}
	if !s.applyRule(r.Context(), w, x, out) {
		// The state change is committed; the answer is lost on purpose.
		s.log().Info("request", "client_id", x.clientID, "api", x.route.api, "result", x.result.Code,
			"status", x.result.Status, "rule", x.ruleID, "answer", "dropped by scenario rule")
		if s.Traffic != nil {
			s.record(r, x, string(x.route.api), time.Since(x.began), http.Header{}, nil, nil)
		}
		panic(http.ErrAbortHandler) // net/http closes the connection, writing nothing
	}
	s.respond(w, r, x, out.body)
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
// passes or the client goes away. (No deadline needs moving: net/http
// lifts the read deadline once the body is read, and node's write
// deadline starts with the answer's first byte.)
func (s *Server) hold(ctx context.Context, w http.ResponseWriter, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// respond signs (and, for an encrypted request, encrypts) body and writes it.
// Every answer is signed, errors included.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, x *exchange, body []byte) {
	now := s.now()
	respTime := wire.FormatTime(now)
	h := w.Header()
	var plain []byte // the answer before encryption, when it is encrypted
	if x.encryptTo != nil {
		enc, eh, err := wire.EncryptBody(nil, x.encryptTo, x.encryptVer, body)
		if err == nil {
			plain, body = body, enc
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
		if x.signOne != nil {
			x.signOne <- struct{}{}
		}
		err = m.WriteHeaders(h, wire.Answer, key, ver)
		if x.signOne != nil {
			<-x.signOne
		}
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
	status := http.StatusOK
	if x.httpStatus != 0 {
		status = x.httpStatus
	}
	w.WriteHeader(status)
	w.Write(body)

	api := "unknown"
	if x.routed {
		api = string(x.route.api)
	}
	latency := time.Since(x.began) // real time, also on a test clock
	if x.ruleID != "" {
		s.log().Info("request", "client_id", x.clientID, "api", api, "family", x.route.family,
			"result", x.result.Code, "status", x.result.Status, "replay", x.replay, "latency", latency,
			"rule", x.ruleID, "effect", x.rule)
	} else {
		s.log().Info("request", "client_id", x.clientID, "api", api, "family", x.route.family,
			"result", x.result.Code, "status", x.result.Status, "replay", x.replay, "latency", latency)
	}
	if s.Metrics != nil {
		s.Metrics.observe(api, x.result, latency)
	}
	if s.log().Enabled(r.Context(), slog.LevelDebug) {
		s.log().Debug("response body", "client_id", x.clientID, "body", string(body))
	}
	if s.Traffic != nil {
		s.record(r, x, api, latency, h, body, plain)
	}
}

// record keeps the exchange in s.Traffic.
func (s *Server) record(r *http.Request, x *exchange, api string, latency time.Duration, h http.Header, body, plain []byte) {
	t := &traffic.Exchange{
		At: x.start, Latency: latency, Remote: r.RemoteAddr, Method: r.Method, URI: x.uri,
		ClientID: x.clientID, RequestHeader: r.Header.Clone(), RequestBody: x.body, RequestPlain: x.plain,
		ResponseHeader: h.Clone(), ResponseBody: body,
		ResponsePlain: plain, Result: x.result, Replay: x.replay, Verified: x.verifiedVer != 0, KeyVersion: x.verifiedVer,
		RuleID: x.ruleID, Rule: x.rule, HTTPStatus: x.httpStatus,
	}
	if x.routed {
		t.API, t.Family = api, string(x.route.family)
	}
	s.Traffic.Add(t)
}

// requestURI is the URI as signed: the path, and ?query when there is one.
func requestURI(r *http.Request) string {
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	return uri
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own response types are marshalled
	}
	return b
}
