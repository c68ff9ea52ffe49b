package antomgw

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// PathFamily selects the paths a Client calls and, for some APIs, the body
// shapes it sends.
type PathFamily string

// The path families.
const (
	// FamilyAMS is AMS v1, what the official SDKs call:
	// /ams/api/v1/payments/<api>. It is the default.
	FamilyAMS PathFamily = "ams"
	// FamilyAMSSandbox is AMS v1 under /ams/sandbox/api/v1/payments/<api>,
	// the paths of Antom's online sandbox (for SANDBOX_ client ids). The
	// bodies are those of FamilyAMS. The SDK never rewrites paths on its
	// own: choose this family explicitly.
	FamilyAMSSandbox PathFamily = "ams-sandbox"
	// FamilyOmnichannel is omnichannel (POS terminal) v2:
	// /openapi/v2/payments/<api>. pay, inquiryPayment and refund use the v2
	// bodies (the payment method as a plain string, amounts as JSON
	// integers); cancel and inquiryRefund use the AMS bodies. The typed
	// calls take and return the same Go types in every family.
	FamilyOmnichannel PathFamily = "omnichannel"
)

// TimeFormat says how the Request-Time header is written.
type TimeFormat int

// Request-Time formats.
const (
	// TimeISO8601 is ISO 8601 with milliseconds and a numeric offset,
	// 2019-04-04T12:08:56.253+05:30 (wire.FormatTime). It is the default.
	TimeISO8601 TimeFormat = iota
	// TimeEpochMillis is milliseconds since the Unix epoch, 1685599933871,
	// as the official Java and Go SDKs send it.
	TimeEpochMillis
)

// API names one operation of the payment APIs. Its value is the last
// element of the path in every family.
type API string

// The operations a Client calls.
const (
	APIPay            API = "pay"
	APIInquiryPayment API = "inquiryPayment"
	APICancel         API = "cancel"
	APIRefund         API = "refund"
	APIInquiryRefund  API = "inquiryRefund"
	// APICapture is capture: AMS v1 (and its sandbox) only; omnichannel
	// v2 has no counterpart.
	APICapture API = "capture"

	// The online checkout's: AMS v1 (and its sandbox) only; omnichannel
	// v2 has no counterpart.
	APIConsult                API = "consult"
	APICreatePaymentSession   API = "createPaymentSession"
	APIRetrievePaymentSession API = "retrievePaymentSession"
)

// Defaults of Config.
const (
	DefaultAttemptTimeout = 30 * time.Second
	DefaultMaxRetries     = 2
	DefaultRetryBaseDelay = 250 * time.Millisecond
	DefaultRetryMaxDelay  = 5 * time.Second
)

// maxAnswer bounds how much of an answer is read.
const maxAnswer = 10 << 20

// Config configures a Client. ClientID, PrivateKey, GatewayKeys and BaseURL
// are required; every other field has a working zero value, documented
// with it. A Config is copied by NewClient; changing it afterwards has no
// effect.
type Config struct {
	// ClientID is the Client-Id the gateway knows the merchant (or the POS
	// terminal) by. Required.
	ClientID string
	// PrivateKey is the merchant's RSA private key: it signs every request
	// and opens encrypted answers and notifications. Required; read it with
	// wire.ParsePrivateKey.
	PrivateKey *rsa.PrivateKey
	// KeyVersion is the version under which the gateway registered the
	// public half of PrivateKey; it is sent as keyVersion in the Signature
	// header. Defaults to 1.
	KeyVersion int
	// GatewayKeys are the gateway's public keys by version (antomgw: the
	// output of "antomgw keys export --key-version N"; Antom: the
	// dashboard's Antom public key, version 1). Every answer is verified
	// with the key its Signature header's keyVersion names (the highest
	// version when it names none). An answer signed with a version that is
	// missing is refused at once with a *KeyVersionError naming the version
	// to install. Required.
	//
	// GatewayKeys[0], when set, is a key whose version is not known: it
	// verifies answers whose keyVersion names no other entry, as the
	// official SDKs do with their one key. Prefer explicit versions: with
	// them a gateway key rotation fails with an error that names the
	// missing version instead of a signature that does not verify.
	GatewayKeys map[int]*rsa.PublicKey
	// BaseURL is where the gateway is, "https://open-sea-global.alipay.com"
	// or "http://127.0.0.1:8080" (antomgw serve's default). A path prefix
	// is kept and signed: the signed URI is the full path of the URL.
	// Required.
	BaseURL string
	// Family selects the paths and body shapes. Defaults to FamilyAMS.
	Family PathFamily
	// HTTPClient sends the requests. One client is used for the Client's
	// whole life, so connections are reused. Defaults to a client of its
	// own whose transport is a clone of http.DefaultTransport keeping up
	// to 32 idle connections per host, and which does not follow
	// redirects.
	HTTPClient *http.Client
	// AttemptTimeout bounds each attempt (sending the request and reading
	// the whole answer); an attempt that runs out is retried like a
	// network error. Defaults to DefaultAttemptTimeout (30s); set it
	// negative to bound attempts by the caller's context alone. A POS
	// terminal typically sets a few seconds.
	AttemptTimeout time.Duration
	// MaxRetries is how many times a retryable attempt is sent again (see
	// Error.Retryable): at most MaxRetries+1 attempts. Defaults to
	// DefaultMaxRetries (2). Set -1 to disable retries.
	MaxRetries int
	// RetryBaseDelay is the backoff before the first retry; it doubles for
	// each further retry up to RetryMaxDelay, and each delay is jittered
	// into [d/2, d). Defaults to DefaultRetryBaseDelay (250ms).
	RetryBaseDelay time.Duration
	// RetryMaxDelay caps the backoff. Defaults to DefaultRetryMaxDelay (5s).
	RetryMaxDelay time.Duration
	// JitterFunc returns a number in [0, 1) for each backoff delay (and
	// each ResolvePayment poll). Defaults to math/rand/v2.Float64.
	JitterFunc func() float64
	// Encrypt, when true, encrypts every request body for the gateway
	// (RSA_AES, wire.EncryptBody) with GatewayKeys[EncryptKeyVersion].
	// Encrypted answers are opened with PrivateKey whether or not Encrypt
	// is set. Defaults to false.
	Encrypt bool
	// EncryptKeyVersion is the gateway key version request bodies are
	// encrypted to. Defaults to the highest version in GatewayKeys.
	EncryptKeyVersion int
	// TimeFormat is how Request-Time is written. Defaults to TimeISO8601.
	TimeFormat TimeFormat
	// Now returns the current time written into Request-Time. Defaults to
	// time.Now. Timeouts, backoff and deadlines run on the real clock.
	Now func() time.Time
	// Logger receives one line per retry, with its reason (level Warn), and
	// one per attempt (level Debug). Defaults to discarding.
	Logger *slog.Logger
}

// Client calls an Antom-compatible gateway: it signs each request, sends
// it, verifies the answer's signature before reading anything from it,
// opens encrypted answers, and retries what may safely be retried with the
// same body. It is safe for concurrent use; create one per merchant key and
// reuse it.
type Client struct {
	cfg      Config
	http     *http.Client
	log      *slog.Logger
	base     string // BaseURL without a trailing slash
	basePath string // the escaped path of BaseURL, without a trailing slash
	keys     map[int]*rsa.PublicKey
	newest   int
	encTo    *rsa.PublicKey
	encVer   int
}

// NewClient checks cfg and returns a Client. It returns an error naming
// the field when a required field is missing or a value cannot work.
func NewClient(cfg Config) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("antomgw: Config.ClientID is required")
	}
	if cfg.PrivateKey == nil {
		return nil, errors.New("antomgw: Config.PrivateKey is required")
	}
	if len(cfg.GatewayKeys) == 0 {
		return nil, errors.New("antomgw: Config.GatewayKeys needs at least one gateway public key")
	}
	c := &Client{cfg: cfg, keys: make(map[int]*rsa.PublicKey, len(cfg.GatewayKeys))}
	for v, k := range cfg.GatewayKeys {
		if v < 0 || k == nil {
			return nil, fmt.Errorf("antomgw: Config.GatewayKeys[%d]: want a version (0: unknown) and a non-nil key", v)
		}
		c.keys[v] = k
		c.newest = max(c.newest, v)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("antomgw: Config.BaseURL %q: want an http or https URL such as https://open-sea-global.alipay.com", cfg.BaseURL)
	}
	c.base = strings.TrimRight(cfg.BaseURL, "/")
	c.basePath = strings.TrimRight(u.EscapedPath(), "/")
	switch cfg.Family {
	case "":
		c.cfg.Family = FamilyAMS
	case FamilyAMS, FamilyAMSSandbox, FamilyOmnichannel:
	default:
		return nil, fmt.Errorf("antomgw: Config.Family %q: want %q, %q or %q", cfg.Family, FamilyAMS, FamilyAMSSandbox, FamilyOmnichannel)
	}
	switch cfg.TimeFormat {
	case TimeISO8601, TimeEpochMillis:
	default:
		return nil, fmt.Errorf("antomgw: Config.TimeFormat %d is not a TimeFormat", cfg.TimeFormat)
	}
	if c.cfg.KeyVersion == 0 {
		c.cfg.KeyVersion = 1
	} else if c.cfg.KeyVersion < 0 {
		return nil, fmt.Errorf("antomgw: Config.KeyVersion %d: want a positive version", cfg.KeyVersion)
	}
	if cfg.Encrypt {
		c.encVer = cfg.EncryptKeyVersion
		if c.encVer == 0 {
			c.encVer = c.newest
		}
		if c.encTo = c.keys[c.encVer]; c.encTo == nil {
			return nil, fmt.Errorf("antomgw: Config.EncryptKeyVersion %d is not in Config.GatewayKeys", c.encVer)
		}
	}
	if c.cfg.AttemptTimeout == 0 {
		c.cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.cfg.MaxRetries == 0 {
		c.cfg.MaxRetries = DefaultMaxRetries
	} else if c.cfg.MaxRetries < 0 {
		c.cfg.MaxRetries = 0
	}
	if c.cfg.RetryBaseDelay <= 0 {
		c.cfg.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if c.cfg.RetryMaxDelay <= 0 {
		c.cfg.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if c.cfg.JitterFunc == nil {
		c.cfg.JitterFunc = rand.Float64
	}
	if c.cfg.Now == nil {
		c.cfg.Now = time.Now
	}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.http = cfg.HTTPClient
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	return c, nil
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{
		Transport: t,
		// A redirected POST would lose its body or its method; the answer
		// to a signed call is never a redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Path returns the path api is called on, BaseURL's path prefix included:
// the URI that is signed.
func (c *Client) Path(api API) string { return c.basePath + c.familyPath(api) }

func (c *Client) familyPath(api API) string {
	if api == APIRetrievePaymentSession && c.cfg.Family != FamilyOmnichannel {
		// Every official SDK calls it with a doubled slash, and signs and
		// verifies over that path; the gateway answers it as it is.
		if c.cfg.Family == FamilyAMSSandbox {
			return "/ams/sandbox/api//v1/payments/" + string(api)
		}
		return "/ams/api//v1/payments/" + string(api)
	}
	switch c.cfg.Family {
	case FamilyAMSSandbox:
		return "/ams/sandbox/api/v1/payments/" + string(api)
	case FamilyOmnichannel:
		return "/openapi/v2/payments/" + string(api)
	}
	return "/ams/api/v1/payments/" + string(api)
}

// Family returns the client's path family.
func (c *Client) Family() PathFamily { return c.cfg.Family }

// RawResponse is a verified answer: its signature checked, its body opened
// when it was encrypted.
type RawResponse struct {
	// StatusCode is the HTTP status (200: only a 200 answer is verified).
	StatusCode int
	// Header is the answer's header as received.
	Header http.Header
	// Body is the JSON body, decrypted when the answer was encrypted.
	Body []byte
	// Result is the body's result object.
	Result Result
	// Attempts is how many times the request was sent.
	Attempts int
}

// Do sends body, exactly these bytes (JSON), to api and returns the
// verified answer. It is the path every typed call takes, for bodies with
// fields the typed requests do not have. Errors are those of the typed
// calls: a verified S answer returns (resp, nil); a verified F or U answer
// returns the response and an *Error carrying its result; anything else
// returns nil and an error, an *Error once the request has been sent.
func (c *Client) Do(ctx context.Context, api API, body []byte) (*RawResponse, error) {
	return c.do(ctx, api, body)
}

// call marshals req, sends it to api and decodes the verified answer into
// a new Resp. It returns the response together with the *Error of a
// verified F or U answer.
func call[Resp any](ctx context.Context, c *Client, api API, req any) (*Resp, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("antomgw: %s: encode request: %w", api, err)
	}
	raw, err := c.do(ctx, api, body)
	if raw == nil {
		return nil, err
	}
	var out Resp
	if derr := json.Unmarshal(raw.Body, &out); derr != nil {
		return nil, &Error{API: string(api), StatusCode: raw.StatusCode, Attempts: raw.Attempts,
			Err: fmt.Errorf("decode answer: %w", derr)}
	}
	return &out, err
}

// do runs the attempts of one call: the body (encrypted once, when
// Encrypt is set) is the same bytes in every attempt; each attempt gets a
// fresh Request-Time and signature.
func (c *Client) do(ctx context.Context, api API, body []byte) (*RawResponse, error) {
	uri, target := c.Path(api), c.base+c.familyPath(api)
	send := body
	contentType := "application/json; charset=UTF-8"
	var encHeader string
	if c.encTo != nil {
		enc, eh, err := wire.EncryptBody(nil, c.encTo, c.encVer, body)
		if err != nil {
			return nil, fmt.Errorf("antomgw: %s: encrypt request: %w", api, err)
		}
		send, encHeader, contentType = enc, eh.String(), "text/plain; charset=UTF-8"
	}
	var (
		resp *RawResponse
		last *Error
	)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if last == nil {
				return nil, fmt.Errorf("antomgw: %s: %w", api, err)
			}
			return resp, last
		}
		resp, last = c.attempt(ctx, api, target, uri, send, contentType, encHeader)
		if resp != nil {
			resp.Attempts = attempt
		}
		if last == nil {
			return resp, nil
		}
		last.Attempts = attempt
		reason := retryReason(last)
		if reason == "" || attempt > c.cfg.MaxRetries || ctx.Err() != nil {
			return resp, last
		}
		delay := backoff(attempt, c.cfg.RetryBaseDelay, c.cfg.RetryMaxDelay, c.cfg.JitterFunc())
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			c.log.Warn("antomgw: not retrying: the context ends before the next attempt",
				"api", string(api), "attempt", attempt, "reason", reason)
			return resp, last
		}
		c.log.Warn("antomgw: retrying", "api", string(api), "attempt", attempt+1,
			"max_attempts", c.cfg.MaxRetries+1, "reason", reason, "delay", delay)
		if !sleep(ctx, delay) {
			return resp, last
		}
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// transportError is a failed exchange: nothing, or nothing complete, came
// back. The request may have reached the gateway.
type transportError struct {
	err     error
	timeout time.Duration // > 0: the attempt timed out after this long
}

func (e *transportError) Error() string {
	if e.timeout > 0 {
		return fmt.Sprintf("no answer within the attempt timeout (%s): %v", e.timeout, e.err)
	}
	return e.err.Error()
}

func (e *transportError) Unwrap() error { return e.err }

// requestTime formats now as the Request-Time header.
func (c *Client) requestTime() string {
	now := c.cfg.Now()
	if c.cfg.TimeFormat == TimeEpochMillis {
		return strconv.FormatInt(now.UnixMilli(), 10)
	}
	return wire.FormatTime(now)
}

// attempt sends the request once. It returns the verified answer (nil when
// there is none) and, unless the answer is a verified S, an *Error.
func (c *Client) attempt(ctx context.Context, api API, target, uri string, body []byte, contentType, encHeader string) (*RawResponse, *Error) {
	fail := func(status int, err error) (*RawResponse, *Error) {
		return nil, &Error{API: string(api), StatusCode: status, Err: err}
	}
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.AttemptTimeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fail(0, err)
	}
	h := req.Header
	m := wire.Message{Method: http.MethodPost, URI: uri, ClientID: c.cfg.ClientID, Time: c.requestTime(), Body: body}
	if err := m.WriteHeaders(h, wire.Request, c.cfg.PrivateKey, c.cfg.KeyVersion); err != nil {
		return fail(0, fmt.Errorf("sign request: %w", err))
	}
	h.Set("Content-Type", contentType)
	if encHeader != "" {
		h.Set("Encrypt", encHeader)
	}
	h.Set("User-Agent", "antomgw-go")

	hr, err := c.http.Do(req)
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(io.LimitReader(hr.Body, maxAnswer+1))
		hr.Body.Close()
		if err == nil && len(raw) > maxAnswer {
			return fail(hr.StatusCode, fmt.Errorf("answer exceeds %d bytes", maxAnswer))
		}
	}
	if err != nil {
		te := &transportError{err: err}
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			te.timeout = c.cfg.AttemptTimeout
		}
		status := 0
		if hr != nil {
			status = hr.StatusCode
		}
		return fail(status, te)
	}
	c.log.Debug("antomgw: attempt", "api", string(api), "path", uri, "http_status", hr.StatusCode)
	if hr.StatusCode != http.StatusOK {
		return fail(hr.StatusCode, fmt.Errorf("HTTP status %d (%s)", hr.StatusCode, snippet(raw)))
	}
	if err := c.verify(uri, hr.Header, raw); err != nil {
		return fail(hr.StatusCode, err)
	}
	plain := raw
	if eh := hr.Header.Get(wire.HeaderEncrypt); eh != "" {
		e, err := wire.ParseEncryptHeader(eh)
		if err != nil {
			return fail(hr.StatusCode, fmt.Errorf("answer's Encrypt header: %w", err))
		}
		if plain, err = wire.DecryptBody(c.cfg.PrivateKey, e, raw); err != nil {
			return fail(hr.StatusCode, fmt.Errorf("open encrypted answer: %w", err))
		}
	}
	var r struct {
		Result Result `json:"result"`
	}
	if err := json.Unmarshal(plain, &r); err != nil {
		return fail(hr.StatusCode, fmt.Errorf("decode answer: %w", err))
	}
	if !r.Result.Status.Valid() || r.Result.Code == "" {
		return fail(hr.StatusCode, fmt.Errorf("answer's result %q/%q is not a result", r.Result.Status, r.Result.Code))
	}
	resp := &RawResponse{StatusCode: hr.StatusCode, Header: hr.Header, Body: plain, Result: r.Result}
	if r.Result.Status == wire.StatusSuccess {
		return resp, nil
	}
	return resp, &Error{API: string(api), Result: r.Result, StatusCode: hr.StatusCode}
}

// verify checks an answer's signature over the request's URI, our client
// id, the answer's Response-Time and its raw body.
func (c *Client) verify(uri string, h http.Header, body []byte) error {
	m, sh, err := wire.ReadSigned(h, wire.Answer, http.MethodPost, uri, body)
	if err != nil {
		return unverified("the answer", err)
	}
	if m.ClientID != "" && m.ClientID != c.cfg.ClientID {
		return fmt.Errorf("%w: the answer is for client-id %q, not %q", ErrUnverified, m.ClientID, c.cfg.ClientID)
	}
	m.ClientID = c.cfg.ClientID
	return verifyWith(c.keys, c.newest, m, sh, "the answer")
}

// VerifyGatewaySignature verifies a message the gateway signed (an answer
// or a notification: m and its parsed Signature header) with the gateway
// key the header's keyVersion names, taken from keys as Config.GatewayKeys
// holds them: by version, keys[0] being a key of unknown version. An answer
// signed with a version keys lacks is a *KeyVersionError. Every error wraps
// ErrUnverified.
func VerifyGatewaySignature(keys map[int]*rsa.PublicKey, m wire.Message, sh wire.SignatureHeader) error {
	newest := 0
	for v := range keys {
		newest = max(newest, v)
	}
	return verifyWith(keys, newest, m, sh, "the message")
}

// verifyWith verifies a message with the gateway key its Signature header
// names (see pickKey).
func verifyWith(keys map[int]*rsa.PublicKey, newest int, m wire.Message, sh wire.SignatureHeader, what string) error {
	if !strings.EqualFold(sh.Algorithm, wire.AlgorithmRSA256) {
		return fmt.Errorf("%w: signature algorithm %q is not RSA256", ErrUnverified, sh.Algorithm)
	}
	pub, unknown, err := pickKey(keys, newest, sh.KeyVersion)
	if err != nil {
		return err
	}
	if err := m.Verify(pub, sh); err != nil {
		if unknown && errors.Is(err, wire.ErrSignature) {
			return newKeyVersionError(keys, sh.KeyVersion, true)
		}
		return unverified(what, err)
	}
	return nil
}

// unverified wraps a wire error about a signed message in ErrUnverified,
// naming a missing header as "<what> has no Signature header".
func unverified(what string, err error) error {
	var we *wire.Error
	if errors.As(err, &we) && errors.Is(err, wire.ErrMissingHeader) {
		return fmt.Errorf("%w: %s has no %s header", ErrUnverified, what, textproto.CanonicalMIMEHeaderKey(we.Header))
	}
	return fmt.Errorf("%w: %w", ErrUnverified, err)
}

// pickKey returns the key of version, or of the newest version when version
// is 0 (the protocol's "not given"). When keys has no such version but a
// key of unknown version (keys[0]), it returns that one and reports unknown.
// A version it has no key for is a *KeyVersionError.
func pickKey(keys map[int]*rsa.PublicKey, newest, version int) (key *rsa.PublicKey, unknown bool, err error) {
	if version == 0 {
		version = newest
	}
	if k := keys[version]; k != nil && version != 0 {
		return k, false, nil
	}
	if k := keys[0]; k != nil {
		return k, true, nil
	}
	return nil, false, newKeyVersionError(keys, version, false)
}

func newKeyVersionError(keys map[int]*rsa.PublicKey, version int, unknownTried bool) *KeyVersionError {
	e := &KeyVersionError{Version: version, UnknownTried: unknownTried}
	for v := range keys {
		if v != 0 {
			e.Have = append(e.Have, v)
		}
	}
	sort.Ints(e.Have)
	return e
}

// snippet is the start of a body for an error message.
func snippet(b []byte) string {
	const n = 120
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	if s == "" {
		return "empty body"
	}
	return strconv.Quote(s)
}
