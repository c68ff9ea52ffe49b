package wire

import (
	"crypto/rsa"
	"errors"
	"net/textproto"
	"strings"
)

// Message is what one signature covers: a request, an answer or a
// notification, as the pieces that are signed. Build it from the values
// exactly as they are (or will be) on the wire; nothing is reformatted.
type Message struct {
	// Method is the HTTP method, "POST". For an answer, the request's.
	Method string
	// URI is the path, plus "?" and the raw query when there is one. For an
	// answer, the request's; for a notification, the notify URL's.
	URI string
	// ClientID is the Client-Id header value.
	ClientID string
	// Time is the Request-Time header value (a request, a notification) or
	// the Response-Time header value (an answer).
	Time string
	// Body is the raw body: the ciphertext when the body is encrypted.
	Body []byte
}

// Content returns the exact bytes that are signed; see [SigningContent].
func (m Message) Content() []byte {
	return SigningContent(m.Method, m.URI, m.ClientID, m.Time, m.Body)
}

// Sign signs m with key and returns its Signature header, naming
// keyVersion.
func (m Message) Sign(key *rsa.PrivateKey, keyVersion int) (SignatureHeader, error) {
	sig, err := Sign(key, m.Content())
	if err != nil {
		return SignatureHeader{}, err
	}
	return SignatureHeader{Algorithm: AlgorithmRSA256, KeyVersion: keyVersion, Signature: sig}, nil
}

// Verify checks sh over m with key. It returns an *Error wrapping
// [ErrAlgorithm] for another algorithm than RSA256, [ErrSignatureEncoding]
// for a value that is not URL-encoded base64, and [ErrSignature] when the
// signature does not match.
func (m Message) Verify(key *rsa.PublicKey, sh SignatureHeader) error {
	if !strings.EqualFold(sh.Algorithm, AlgorithmRSA256) {
		return &Error{Err: ErrAlgorithm, Header: HeaderSignature, Detail: "signature algorithm " + quoteShort(sh.Algorithm) + " is not supported; use algorithm=RSA256"}
	}
	err := Verify(key, m.Content(), sh.Signature)
	if err == nil {
		return nil
	}
	var we *Error
	if errors.As(err, &we) {
		we.Header = HeaderSignature
		return we
	}
	if errors.Is(err, ErrSignature) {
		return &Error{Err: ErrSignature, Header: HeaderSignature}
	}
	return err
}

// Role says which headers carry a message's client id, time and signature.
type Role int

// The roles of a signed message.
const (
	// Request: a merchant's call. Client-Id, Request-Time and Signature,
	// written in the canonical case.
	Request Role = iota
	// Answer: the gateway's answer to a call. client-id, response-time and
	// signature, written in lower case (two official SDKs look them up
	// case-sensitively).
	Answer
	// Notification: a call from the gateway to a merchant. client-id,
	// request-time and signature, in lower case.
	Notification
)

// names returns the header names of the role as written.
func (r Role) names() (clientID, timeHeader, signature string) {
	switch r {
	case Answer:
		return HeaderClientID, HeaderResponseTime, HeaderSignature
	case Notification:
		return HeaderClientID, HeaderRequestTime, HeaderSignature
	}
	return "Client-Id", "Request-Time", "Signature"
}

// WriteHeaders signs m with key and writes the client id, the time and the
// Signature header (naming keyVersion) of role into h, replacing what was
// there under any case. h is an http.Header.
func (m Message) WriteHeaders(h map[string][]string, role Role, key *rsa.PrivateKey, keyVersion int) error {
	sh, err := m.Sign(key, keyVersion)
	if err != nil {
		return err
	}
	idName, timeName, sigName := role.names()
	setHeader(h, idName, m.ClientID)
	setHeader(h, timeName, m.Time)
	setHeader(h, sigName, sh.String())
	return nil
}

// ReadSigned reads the client id, the time and the Signature header of role
// from h (names in any case) and returns the message they make with method,
// uri and body, and the parsed Signature header. A missing header is an
// *Error wrapping [ErrMissingHeader] (an answer's client-id may be missing:
// the message's ClientID is then empty, for the caller to fill in); a
// malformed Signature header wraps [ErrHeader]. Both name the header.
func ReadSigned(h map[string][]string, role Role, method, uri string, body []byte) (Message, SignatureHeader, error) {
	idName, timeName, sigName := role.names()
	m := Message{Method: method, URI: uri, Body: body, ClientID: getHeader(h, idName), Time: getHeader(h, timeName)}
	value := getHeader(h, sigName)
	switch {
	case value == "":
		return m, SignatureHeader{}, missing(HeaderSignature)
	case m.Time == "":
		return m, SignatureHeader{}, missing(strings.ToLower(timeName))
	case m.ClientID == "" && role != Answer:
		return m, SignatureHeader{}, missing(HeaderClientID)
	}
	sh, err := ParseSignatureHeader(value)
	if err != nil {
		var we *Error
		if errors.As(err, &we) {
			we.Header = HeaderSignature
		}
		return m, SignatureHeader{}, err
	}
	return m, sh, nil
}

// KeyFunc returns the public key that verifies signatures of a key version
// (0 when the Signature header names none). Its error is returned as it is.
type KeyFunc func(version int) (*rsa.PublicKey, error)

// VerifyHeaders reads the signed headers of role from h ([ReadSigned]),
// takes the key keys gives for the header's keyVersion and verifies the
// message ([Message.Verify]). It returns what it verified.
func VerifyHeaders(h map[string][]string, role Role, method, uri string, body []byte, keys KeyFunc) (Message, SignatureHeader, error) {
	m, sh, err := ReadSigned(h, role, method, uri, body)
	if err != nil {
		return m, sh, err
	}
	key, err := keys(sh.KeyVersion)
	if err != nil {
		return m, sh, err
	}
	return m, sh, m.Verify(key, sh)
}

func missing(name string) error {
	return &Error{Err: ErrMissingHeader, Header: name, Detail: name + " header is missing"}
}

func quoteShort(s string) string { return `"` + truncate(s, 32) + `"` }

// getHeader returns the first value of name in h under its canonical form
// or any other case.
func getHeader(h map[string][]string, name string) string {
	if v := h[textproto.CanonicalMIMEHeaderKey(name)]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}

// setHeader sets name (exactly as given) to value in h, removing the same
// header under any other case.
func setHeader(h map[string][]string, name, value string) {
	for k := range h {
		if k != name && strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	h[name] = []string{value}
}
