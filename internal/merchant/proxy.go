// Package merchant holds tools that stand on the merchant's side of an
// Antom-compatible gateway. Proxy is a local signing proxy: it lets people
// and tools that cannot sign RSA requests (curl, Postman) call a gateway as
// a registered client.
package merchant

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/wire"
)

// Defaults of Proxy.
const (
	// DefaultTimeout bounds one exchange with the upstream, as the SDK's
	// attempt timeout does.
	DefaultTimeout = antomgw.DefaultAttemptTimeout
	// DefaultMaxBody is the largest request body the proxy forwards and
	// the largest answer it reads.
	DefaultMaxBody = 10 << 20
)

// The headers the proxy adds to its answers, written in lower case like
// the gateway's own.
const (
	// HeaderVerified is "true" when the answer's signature verified with a
	// gateway key (and an encrypted answer opened), "false" otherwise. It
	// is absent from the proxy's own errors (nothing came back to verify).
	HeaderVerified = "x-antomgw-verified"
	// HeaderVerifyError says, in one line, why HeaderVerified is "false".
	HeaderVerifyError = "x-antomgw-verify-error"
	// HeaderEncrypted is "true" when the answer came encrypted and the body
	// returned is its plaintext.
	HeaderEncrypted = "x-antomgw-encrypted"
)

// Proxy is an http.Handler that forwards each plain JSON POST to the same
// path under Upstream as the merchant ClientID: it adds Client-Id,
// Request-Time and Signature (signed with PrivateKey) and, with Encrypt,
// encrypts the body RSA_AES for the gateway. It verifies the answer's
// signature with GatewayKeys, opens an encrypted answer, and returns the
// upstream's status code and (plaintext) body with HeaderVerified and,
// when the answer did not verify, HeaderVerifyError. It logs one line per
// exchange.
//
// Client-Id, Request-Time, Signature and Encrypt headers sent to the proxy
// are ignored: the proxy signs only as ClientID, with its own time. Other
// end-to-end headers are forwarded as they are.
//
// Whoever reaches a Proxy can make it sign anything as the merchant, so it
// refuses cross-origin browser requests always and, unless AllowRemote is
// set, requests whose Host is not a loopback address or "localhost" (a
// guard against DNS rebinding). Listen on loopback (see CheckListen).
//
// Set the fields before the first request and do not change them
// afterwards; a Proxy is then safe for concurrent use.
type Proxy struct {
	// Upstream is the gateway's base URL, such as http://127.0.0.1:8080 or
	// https://open-sea-global.alipay.com. A path prefix is kept: a request
	// for /ams/api/v1/payments/pay goes to Upstream's path followed by
	// /ams/api/v1/payments/pay, and that full path is what is signed.
	// Required.
	Upstream *url.URL
	// ClientID is the Client-Id the gateway knows the merchant by.
	// Required.
	ClientID string
	// PrivateKey is the merchant's key: it signs every request and opens
	// encrypted answers. Required.
	PrivateKey *rsa.PrivateKey
	// KeyVersion is the version of PrivateKey registered with the gateway,
	// named in the Signature header. Defaults to 1.
	KeyVersion int
	// GatewayKeys are the gateway's public keys by version; GatewayKeys[0]
	// is a key whose version is not known (see antomgw.Config.GatewayKeys).
	// An answer is verified with the key its Signature header's keyVersion
	// names. Required.
	GatewayKeys map[int]*rsa.PublicKey
	// Encrypt encrypts every request body (RSA_AES) for the gateway key of
	// EncryptKeyVersion. Encrypted answers are opened whether or not it is
	// set. Defaults to false.
	Encrypt bool
	// EncryptKeyVersion is the gateway key version bodies are encrypted
	// to. Defaults to the highest version in GatewayKeys.
	EncryptKeyVersion int
	// HTTPClient sends the requests upstream. Defaults to a client that
	// does not follow redirects; http.DefaultClient is never used.
	HTTPClient *http.Client
	// Timeout bounds each exchange with the upstream, from sending the
	// request to reading the whole answer. Defaults to DefaultTimeout
	// (30s); negative: no bound but the incoming request's.
	Timeout time.Duration
	// MaxBody is the largest request body forwarded and answer read, in
	// bytes. Defaults to DefaultMaxBody (10 MiB).
	MaxBody int64
	// AllowRemote accepts requests whatever their Host header says. Leave
	// it false unless the proxy listens on a non-loopback address on
	// purpose.
	AllowRemote bool
	// Now returns the time written into Request-Time. Defaults to
	// time.Now. Durations in the log are measured on the real clock.
	Now func() time.Time
	// Log receives one line per exchange (level Info; Warn for the
	// proxy's own refusals and upstream failures). Defaults to
	// discarding.
	Log *slog.Logger
}

// Check reports the first field that makes p unusable, naming it.
func (p *Proxy) Check() error {
	switch {
	case p.Upstream == nil:
		return errors.New("merchant: Proxy.Upstream is required")
	case p.Upstream.Scheme != "http" && p.Upstream.Scheme != "https", p.Upstream.Host == "",
		p.Upstream.RawQuery != "", p.Upstream.Fragment != "", p.Upstream.User != nil:
		return fmt.Errorf("merchant: Proxy.Upstream %q: want an http or https base URL such as http://127.0.0.1:8080, without query, fragment or user info", p.Upstream.Redacted())
	case p.ClientID == "":
		return errors.New("merchant: Proxy.ClientID is required")
	case p.PrivateKey == nil:
		return errors.New("merchant: Proxy.PrivateKey is required")
	case len(p.GatewayKeys) == 0:
		return errors.New("merchant: Proxy.GatewayKeys needs at least one gateway public key")
	case p.KeyVersion < 0:
		return fmt.Errorf("merchant: Proxy.KeyVersion %d: want a positive version", p.KeyVersion)
	}
	for v, k := range p.GatewayKeys {
		if v < 0 || k == nil {
			return fmt.Errorf("merchant: Proxy.GatewayKeys[%d]: want a version (0: unknown) and a non-nil key", v)
		}
	}
	if p.Encrypt {
		if _, _, err := p.encryptionKey(); err != nil {
			return err
		}
	}
	return nil
}

// encryptionKey returns the gateway key request bodies are encrypted to
// and its version.
func (p *Proxy) encryptionKey() (*rsa.PublicKey, int, error) {
	ver := p.EncryptKeyVersion
	if ver == 0 {
		for v := range p.GatewayKeys {
			ver = max(ver, v)
		}
	}
	k := p.GatewayKeys[ver]
	if k == nil {
		return nil, 0, fmt.Errorf("merchant: Proxy.EncryptKeyVersion %d is not in Proxy.GatewayKeys", ver)
	}
	return k, ver, nil
}

func (p *Proxy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Proxy) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (p *Proxy) maxBody() int64 {
	if p.MaxBody > 0 {
		return p.MaxBody
	}
	return DefaultMaxBody
}

var defaultClient = &http.Client{
	// A redirected POST would lose its body or its method; the answer to a
	// signed call is never a redirect.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (p *Proxy) client() *http.Client {
	if p.HTTPClient != nil {
		return p.HTTPClient
	}
	return defaultClient
}

// crossOrigin refuses browser requests made by a page of another origin:
// without it, any web page the developer opens could make payments with
// the merchant's key through a proxy on loopback.
var crossOrigin = http.NewCrossOriginProtection()

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	uri := requestURI(r.URL)
	refuse := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		io.WriteString(w, msg+"\n")
		p.log().Warn("proxy", "method", r.Method, "path", uri, "status", status, "refused", msg, "duration", time.Since(began))
	}
	if !p.AllowRemote && !loopbackHost(r.Host) {
		refuse(http.StatusForbidden, fmt.Sprintf("Host %q is not a loopback address: the proxy signs as the merchant and answers only requests addressed to 127.0.0.1, [::1] or localhost (start it with --allow-remote to lift this)", clip(r.Host, 64)))
		return
	}
	if err := crossOrigin.Check(r); err != nil {
		refuse(http.StatusForbidden, "cross-origin browser requests are refused: a web page must not sign requests with the merchant's key")
		return
	}
	if r.Method != http.MethodPost {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, p.help(r.Host))
			return
		}
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not forwarded: POST a JSON request body to the API path, e.g. /ams/api/v1/payments/pay (GET / says more)", clip(r.Method, 16)))
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/") {
		refuse(http.StatusBadRequest, fmt.Sprintf("request target %q is not a path: POST to the API path, e.g. /ams/api/v1/payments/pay", clip(r.RequestURI, 64)))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, p.maxBody()+1))
	switch {
	case err != nil:
		refuse(http.StatusBadRequest, fmt.Sprintf("the request body could not be read: %v", err))
		return
	case int64(len(body)) > p.maxBody():
		refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds %d bytes", p.maxBody()))
		return
	case len(bytes.TrimSpace(body)) == 0:
		refuse(http.StatusBadRequest, "the request body is empty: POST the plain JSON body of the Antom request (curl -d @pay.json ...)")
		return
	case !json.Valid(body):
		refuse(http.StatusBadRequest, "the request body is not JSON: POST the plain JSON body of the Antom request; the proxy signs (and with --encrypt encrypts) it")
		return
	}
	p.forward(w, r, body, began)
}

// forward signs body, sends it upstream and relays the verified answer.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, body []byte, began time.Time) {
	ctx := r.Context()
	timeout := p.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := p.upstreamRequest(ctx, r, body)
	if err != nil {
		p.fail(w, r, began, http.StatusInternalServerError, "cannot build the upstream request", err)
		return
	}
	uri := req.URL.RequestURI() // exactly what goes on the request line, and what was signed
	resp, err := p.client().Do(req)
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(io.LimitReader(resp.Body, p.maxBody()+1))
		resp.Body.Close()
		if err == nil && int64(len(raw)) > p.maxBody() {
			p.fail(w, r, began, http.StatusBadGateway, "the upstream's answer is too large", fmt.Errorf("more than %d bytes", p.maxBody()))
			return
		}
	}
	if err != nil {
		if r.Context().Err() != nil {
			p.log().Warn("proxy", "method", r.Method, "path", uri, "error", "the caller went away", "duration", time.Since(began))
			return
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			p.fail(w, r, began, http.StatusGatewayTimeout,
				fmt.Sprintf("no answer from the upstream within %s; the request may have reached it: inquire before sending it again with another request id", timeout), err)
			return
		}
		p.fail(w, r, began, http.StatusBadGateway, "the upstream is unreachable or the exchange broke off; if the request was sent, it may have reached the upstream", err)
		return
	}

	verr := p.verify(uri, resp.Header, raw)
	plain, encrypted := raw, false
	if eh := resp.Header.Get(wire.HeaderEncrypt); eh != "" {
		h, err := wire.ParseEncryptHeader(eh)
		if err == nil {
			plain, err = wire.DecryptBody(p.PrivateKey, h, raw)
		}
		if err != nil {
			plain = raw
			if verr == nil {
				verr = fmt.Errorf("the encrypted answer does not open with the private key: %w", err)
			}
		} else {
			encrypted = true
		}
	}

	out := w.Header()
	copyAnswerHeaders(out, resp.Header, encrypted)
	if encrypted {
		out.Set("Content-Type", "application/json; charset=UTF-8")
		out[HeaderEncrypted] = []string{"true"}
	}
	if verr == nil {
		out[HeaderVerified] = []string{"true"}
	} else {
		out[HeaderVerified] = []string{"false"}
		out[HeaderVerifyError] = []string{headerText(reason(verr))}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(plain)

	attrs := []any{"method", r.Method, "path", uri, "status", resp.StatusCode}
	var res struct {
		Result *wire.Result `json:"result"`
	}
	if json.Unmarshal(plain, &res) == nil && res.Result != nil {
		attrs = append(attrs, "result_status", string(res.Result.Status), "result_code", res.Result.Code)
	}
	attrs = append(attrs, "verified", verr == nil)
	if verr != nil {
		attrs = append(attrs, "verify_error", reason(verr))
	}
	if encrypted {
		attrs = append(attrs, "encrypted", true)
	}
	p.log().Info("proxy", append(attrs, "duration", time.Since(began))...)
}

// upstreamRequest builds the signed (and, with Encrypt, encrypted) request
// for body to the incoming request's path under Upstream.
func (p *Proxy) upstreamRequest(ctx context.Context, r *http.Request, body []byte) (*http.Request, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	target := p.Upstream.Scheme + "://" + p.Upstream.Host + strings.TrimRight(p.Upstream.EscapedPath(), "/") + requestURI(r.URL)
	contentType, encHeader := "application/json; charset=UTF-8", ""
	if p.Encrypt {
		key, ver, _ := p.encryptionKey()
		enc, eh, err := wire.EncryptBody(nil, key, ver, body)
		if err != nil {
			return nil, fmt.Errorf("encrypt the body: %w", err)
		}
		body, contentType, encHeader = enc, "text/plain; charset=UTF-8", eh.String()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	copyRequestHeaders(req.Header, r.Header)
	m := wire.Message{Method: http.MethodPost, URI: req.URL.RequestURI(), ClientID: p.ClientID, Time: wire.FormatTime(p.now()), Body: body}
	if err := m.WriteHeaders(req.Header, wire.Request, p.PrivateKey, max(p.KeyVersion, 1)); err != nil {
		return nil, fmt.Errorf("sign the request: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	if encHeader != "" {
		req.Header.Set("Encrypt", encHeader)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "antomgw-proxy")
	}
	return req, nil
}

// verify checks an answer's signature over the request's URI, ClientID,
// the answer's Response-Time and its raw body, with the gateway key its
// Signature header names.
func (p *Proxy) verify(uri string, h http.Header, raw []byte) error {
	m, sh, err := wire.ReadSigned(h, wire.Answer, http.MethodPost, uri, raw)
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && errors.Is(err, wire.ErrMissingHeader) {
			return fmt.Errorf("the answer has no %s header (not a signed Antom answer)", we.Header)
		}
		return err
	}
	if m.ClientID != "" && m.ClientID != p.ClientID {
		return fmt.Errorf("the answer is for client-id %q, not %q", clip(m.ClientID, 64), clip(p.ClientID, 64))
	}
	m.ClientID = p.ClientID
	err = antomgw.VerifyGatewaySignature(p.GatewayKeys, m, sh)
	var kv *antomgw.KeyVersionError
	if errors.As(err, &kv) && kv.UnknownTried {
		// The SDK reads this as a rotation; through a proxy an altered
		// answer is as likely, so say both.
		return fmt.Errorf("signature does not match with the gateway key given without a version (the answer names keyVersion %d): the answer was altered, or gateway key version %d signed it and is not given", kv.Version, kv.Version)
	}
	return err
}

// fail answers a request the upstream gave no usable answer to with a JSON
// body that is not an Antom result, so that no tool mistakes it for one.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, began time.Time, status int, msg string, err error) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	b, _ := json.MarshalIndent(struct {
		ProxyError string `json:"proxyError"`
		Detail     string `json:"detail,omitempty"`
		Upstream   string `json:"upstream"`
		Note       string `json:"note"`
	}{msg, errText(err), p.upstreamText(), "This answer comes from antomgw proxy, not from the gateway: it is not an Antom result."}, "", "  ")
	w.Write(append(b, '\n'))
	p.log().Warn("proxy", "method", r.Method, "path", requestURI(r.URL), "status", status, "error", msg, "detail", errText(err), "duration", time.Since(began))
}

func (p *Proxy) upstreamText() string {
	if p.Upstream == nil {
		return ""
	}
	return p.Upstream.Redacted()
}

// help is what GET / answers.
func (p *Proxy) help(host string) string {
	enc := ""
	if p.Encrypt {
		enc = ", encrypts it (RSA_AES)"
	}
	return fmt.Sprintf(`antomgw proxy: a local signing proxy (Antom-compatible; not an Antom or Alipay product).

POST the plain JSON body of an Antom request to the API's path here, for example
  curl -d @pay.json http://%s/ams/api/v1/payments/pay

The proxy signs it as client %s%s, sends it to %s + the same path,
verifies the answer's signature, opens an encrypted answer, and returns the
upstream's status and body with
  x-antomgw-verified: true | false
  x-antomgw-verify-error: <why>   (when false)
`, host, p.ClientID, enc, p.upstreamText())
}

// requestURI is the path (escaped as received) and ?query of u: for a
// request in absolute form (the proxy used as an HTTP proxy) too. Paths
// are kept as they are: "//" is not cleaned.
func requestURI(u *url.URL) string {
	uri := u.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	if u.RawQuery != "" {
		uri += "?" + u.RawQuery
	}
	return uri
}

// hopByHop are the headers that describe one connection, never forwarded
// (RFC 9110 §7.6.1), with the headers a Connection header names.
var hopByHop = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}

// copyRequestHeaders copies the caller's end-to-end headers into dst,
// leaving out the ones the proxy sets (protocol headers, Content-Type,
// Host, Content-Length) and Accept-Encoding, which the transport handles
// so that the body is verified as it was signed.
func copyRequestHeaders(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
	removeHopByHop(dst)
	for _, name := range []string{"Host", "Content-Length", "Content-Type", "Accept-Encoding", "Origin",
		wire.HeaderClientID, wire.HeaderRequestTime, wire.HeaderSignature, wire.HeaderEncrypt} {
		for k := range dst {
			if strings.EqualFold(k, name) {
				delete(dst, k)
			}
		}
	}
}

// answerHeaders are written in lower case, as the gateway writes them.
var answerHeaders = map[string]bool{
	wire.HeaderSignature: true, wire.HeaderResponseTime: true, wire.HeaderClientID: true,
	wire.HeaderEncrypt: true, "x-idempotent-replay": true,
}

// copyAnswerHeaders copies the upstream's end-to-end headers into dst: the
// protocol's (signature, response-time, client-id, x-idempotent-replay)
// included. The Encrypt header and Content-Type of an opened answer, the
// length and the encoding (the body is rewritten) and the proxy's own
// headers are left out.
func copyAnswerHeaders(dst, src http.Header, opened bool) {
	h := src.Clone()
	removeHopByHop(h)
	for k, v := range h {
		lower := strings.ToLower(k)
		switch {
		case lower == "content-length", lower == "content-encoding", strings.HasPrefix(lower, "x-antomgw-"):
			continue
		case opened && (lower == wire.HeaderEncrypt || lower == "content-type"):
			continue
		case answerHeaders[lower]:
			dst[lower] = v
		default:
			dst[k] = v
		}
	}
}

// loopbackHost reports whether a Host header names a loopback address or
// localhost.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.EqualFold(host, "localhost.") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListen refuses a listen address that is not on loopback unless
// allowRemote is set: the proxy signs anything, as the merchant, for
// whoever reaches it. Loopback is 127.0.0.0/8, ::1 or "localhost"; an
// empty host (":8090") listens on every address and is refused.
func CheckListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: want HOST:PORT, such as 127.0.0.1:8090", addr)
	}
	if allowRemote || loopbackHost(host) {
		return nil
	}
	what := "host " + host
	if host == "" {
		what = "every address"
	}
	return fmt.Errorf("listen address %q is on %s, not loopback: the proxy holds the merchant's private key and signs anything for whoever reaches it; listen on 127.0.0.1 or [::1], or add --allow-remote if you mean it", addr, what)
}

// CheckListener refuses a listener whose address is not on loopback
// unless allowRemote is set: what CheckListen checks, on the address
// actually bound.
func CheckListener(ln net.Listener, allowRemote bool) error {
	if allowRemote {
		return nil
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("the proxy is bound to %s, which is not a loopback address; add --allow-remote if you mean it", ln.Addr())
}

// reason is the short text of a verification error, without the SDK's
// prefix.
func reason(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, antomgw.ErrUnverified.Error()+": ")
	return strings.TrimPrefix(s, "wire: ")
}

// headerText makes s safe as a header value: one line of printable
// ASCII, at most 300 bytes.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '?'
		}
		return r
	}, strings.ReplaceAll(s, "…", "..."))
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
