package httpapi

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// errClientGone is the pipeline's error for a request whose connection
// broke while its body was read: it gets no answer.
var errClientGone = errors.New("the connection broke while the request body was read")

// pipeline runs the checks in the documented order and then the API. A
// refusal (a *refusal, or a domain error) has changed nothing; errorResult
// turns it into the answer.
func (s *Server) pipeline(r *http.Request, x *exchange) (*outcome, error) {
	if r.Method != http.MethodPost {
		return nil, refuse(wire.CodeMethodNotSupported, "HTTP method %s is not supported; use POST", clip(r.Method, 16))
	}
	rt, ok := lookupRoute(r.URL.Path)
	if !ok {
		return nil, refuse(wire.CodeNoInterfaceDef, "no API is defined at %s", clip(r.URL.Path, 128))
	}
	x.route, x.routed = rt, true

	maxBody := s.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		if r.Context().Err() != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection broke (or was closed to make room): nobody
			// is there to read a refusal, so none is signed.
			return nil, errClientGone
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, refuse(wire.CodeParamIllegal, "the request body did not arrive in time (the server's --read-timeout): send it at once after the headers")
		}
		return nil, refuse(wire.CodeParamIllegal, "request body could not be read: %v", err)
	}
	if int64(len(body)) > maxBody {
		return nil, refuse(wire.CodeParamIllegal, "request body exceeds %d bytes", maxBody)
	}

	x.body = body
	encHeader := r.Header.Get(wire.HeaderEncrypt)
	x.encrypted = encHeader != ""
	if f := checkContentType(r.Header.Values(wire.HeaderContentType), x.encrypted); f != nil {
		return nil, f
	}

	if x.clientID == "" {
		return nil, refuse(wire.CodeInvalidClient, "Client-Id header is missing")
	}
	client, err := x.keys.Client(x.clientID)
	if err != nil {
		return nil, refuse(wire.CodeInvalidClient, "Client-Id %q is not registered", clip(x.clientID, 64))
	}
	x.client = client

	reqTime := r.Header.Get(wire.HeaderRequestTime)
	if reqTime == "" {
		return nil, refuse(wire.CodeParamIllegal, "Request-Time header is missing")
	}
	x.reqTime = reqTime
	t, err := wire.ParseTime(reqTime)
	if err != nil {
		return nil, refuse(wire.CodeParamIllegal, "Request-Time header: %s", detail(err))
	}
	if s.MaxClockSkew > 0 {
		if skew := s.now().Sub(t); skew > s.MaxClockSkew || skew < -s.MaxClockSkew {
			return nil, refuse(wire.CodeParamIllegal, "Request-Time %s is %s away from the gateway clock; at most %s is allowed", clip(reqTime, 40), skew.Round(time.Millisecond), s.MaxClockSkew)
		}
	}

	sigValue := r.Header.Get(wire.HeaderSignature)
	if sigValue == "" {
		return nil, refuse(wire.CodeInvalidSignature, "Signature header is missing")
	}
	sh, err := wire.ParseSignatureHeader(sigValue)
	if err != nil {
		return nil, refuse(wire.CodeInvalidSignature, "%s", detail(err))
	}
	if !strings.EqualFold(sh.Algorithm, wire.AlgorithmRSA256) {
		return nil, refuse(wire.CodeInvalidSignature, "Signature algorithm %q is not supported; use algorithm=RSA256", clip(sh.Algorithm, 32))
	}
	msg := wire.Message{Method: r.Method, URI: x.uri, ClientID: x.clientID, Time: reqTime, Body: body}
	pub, ver, f := s.verifyClient(x, sh, msg)
	if f != nil {
		s.log().Debug("signature mismatch", "client_id", x.clientID, "string_to_sign", string(msg.Content()))
		return nil, f
	}
	x.verifiedVer = ver
	if x.encrypted {
		x.encryptTo, x.encryptVer = pub, ver
	}

	if x.encrypted {
		eh, err := wire.ParseEncryptHeader(encHeader)
		if err != nil {
			return nil, refuse(wire.CodeParamIllegal, "%s", detail(err))
		}
		priv, _, err := x.keys.GatewayKey(x.clientID, eh.KeyVersion)
		if err != nil {
			return nil, refuse(wire.CodeKeyNotFound, "Encrypt header keyVersion %d is not a published or active gateway key version", eh.KeyVersion)
		}
		plain, err := wire.DecryptBody(priv, eh, body)
		if err != nil {
			return nil, refuse(wire.CodeParamIllegal, "cannot decrypt the body (Encrypt header / body): %s", detail(err))
		}
		body, x.plain = plain, plain
	}

	if !utf8.Valid(body) {
		return nil, refuse(wire.CodeParamIllegal, "request body is not valid UTF-8")
	}
	return handlers[x.route](s, r.Context(), x, body)
}

// checkContentType accepts application/json, or text/plain for an encrypted
// body, with no charset or charset UTF-8. Every value of a repeated header
// must pass (the official Go SDK sends two).
func checkContentType(values []string, encrypted bool) error {
	if len(values) == 0 {
		return refuse(wire.CodeMediaTypeNotAcceptable, "Content-Type header is missing; send application/json; charset=UTF-8")
	}
	for _, v := range values {
		mt, params, err := mime.ParseMediaType(v)
		if err != nil {
			return refuse(wire.CodeMediaTypeNotAcceptable, "Content-Type %q does not parse", clip(v, 64))
		}
		if mt != "application/json" && !(encrypted && mt == "text/plain") {
			want := "application/json"
			if encrypted {
				want += " or text/plain"
			}
			return refuse(wire.CodeMediaTypeNotAcceptable, "Content-Type %s is not acceptable; send %s", clip(mt, 64), want)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return refuse(wire.CodeMediaTypeNotAcceptable, "Content-Type charset %s is not acceptable; send charset=UTF-8", clip(cs, 32))
		}
	}
	return nil
}

// verifyClient verifies a request signature with the client's keys: the
// version the header names (the newest when it names none) first, then the
// client's other active versions, because official SDKs send keyVersion=1
// whatever key they sign with. It returns the key that verified and its
// version, or the refusal: KEY_NOT_FOUND when the named version is not an
// active key and no other verifies, INVALID_SIGNATURE naming every version
// tried otherwise. Retired keys are never tried.
func (s *Server) verifyClient(x *exchange, sh wire.SignatureHeader, msg wire.Message) (*rsa.PublicKey, int, error) {
	cands, err := x.keys.ClientKeyCandidates(x.clientID, sh.KeyVersion)
	if err != nil || len(cands) == 0 {
		return nil, 0, refuse(wire.CodeKeyNotFound, "client %s has no active public key", clip(x.clientID, 64))
	}
	for _, c := range cands {
		err := msg.Verify(c.Key, sh)
		if errors.Is(err, wire.ErrSignatureEncoding) {
			return nil, 0, refuse(wire.CodeInvalidSignature, "signature value is not URL-encoded base64 (%s)", detail(err))
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
		return nil, 0, refuse(wire.CodeKeyNotFound, "keyVersion %d is not an active key of client %s, and the signature verifies with none of its active versions (%s)",
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
	return nil, 0, refuse(wire.CodeInvalidSignature, "%s", clip(fmt.Sprintf("signature does not verify over POST %s, client-id %s, request-time %s, body %d bytes sha256 %s; key versions tried: %s",
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

func versionList(cands []gateway.VersionedKey) string {
	parts := make([]string, len(cands))
	for i, c := range cands {
		parts[i] = strconv.Itoa(c.Version)
	}
	return strings.Join(parts, ", ")
}

// detail is what a wire error says without its "wire:" prefix.
func detail(err error) string {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Detail
	}
	return err.Error()
}
