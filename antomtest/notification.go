package antomtest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Notification is a notification as a gateway sends it to a merchant's
// notify URL: POST, signed over
//
//	POST <path of URL>\n<ClientID>.<RequestTime>.<body>
//
// and, when EncryptTo is set, with the body encrypted (RSA_AES) first.
// Only URL and Body are required.
type Notification struct {
	// URL is the merchant's notify URL; its path (and query) is signed.
	URL string
	// Body is the JSON body, e.g. a marshalled antomgw.PaymentNotification.
	Body []byte
	// ClientID is the Client-Id header. Defaults to ClientID.
	ClientID string
	// RequestTime is the Request-Time header. Defaults to the current time
	// in wire.FormatTime's form.
	RequestTime string
	// Key signs the notification. Defaults to GatewayKey.
	Key *rsa.PrivateKey
	// KeyVersion is the keyVersion of the Signature header. Defaults to
	// GatewayKeyVersion.
	KeyVersion int
	// EncryptTo, when set, is the merchant public key the body is
	// encrypted to, with EncryptKeyVersion in the Encrypt header.
	EncryptTo         *rsa.PublicKey
	EncryptKeyVersion int
}

// Sign returns the headers and the body to send (the body is the
// ciphertext when EncryptTo is set).
func (n Notification) Sign() (http.Header, []byte, error) {
	u, err := url.Parse(n.URL)
	if err != nil || u.Path == "" {
		return nil, nil, errors.New("antomtest: Notification.URL must be an absolute URL with a path")
	}
	uri := u.EscapedPath()
	if u.RawQuery != "" {
		uri += "?" + u.RawQuery
	}
	clientID, reqTime, key, ver := n.ClientID, n.RequestTime, n.Key, n.KeyVersion
	if clientID == "" {
		clientID = ClientID
	}
	if reqTime == "" {
		reqTime = wire.FormatTime(time.Now())
	}
	if key == nil {
		key = GatewayKey()
	}
	if ver == 0 {
		ver = GatewayKeyVersion
	}
	h := http.Header{}
	body := n.Body
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if n.EncryptTo != nil {
		enc, eh, err := wire.EncryptBody(nil, n.EncryptTo, n.EncryptKeyVersion, body)
		if err != nil {
			return nil, nil, err
		}
		body = enc
		h.Set("Encrypt", eh.String())
		h.Set("Content-Type", "text/plain; charset=UTF-8")
	}
	m := wire.Message{Method: http.MethodPost, URI: uri, ClientID: clientID, Time: reqTime, Body: body}
	if err := m.WriteHeaders(h, wire.Request, key, ver); err != nil {
		return nil, nil, err
	}
	return h, body, nil
}

// Request returns the notification as an incoming server request, ready
// for a handler's ServeHTTP (like httptest.NewRequest). It panics when the
// notification cannot be built (a URL without a path, an unusable key).
func (n Notification) Request() *http.Request {
	h, body, err := n.Sign()
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodPost, n.URL, bytes.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

// Send POSTs the notification to its URL with client (http.DefaultClient
// when nil) and returns the merchant's answer. Close its body.
func (n Notification) Send(ctx context.Context, client *http.Client) (*http.Response, error) {
	h, body, err := n.Sign()
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header = h
	if client == nil {
		client = http.DefaultClient
	}
	return client.Do(r)
}

// SignedNotification returns Notification{URL: url, Body: body}.Request():
// an incoming request carrying body, signed with GatewayKey for ClientID.
func SignedNotification(url string, body []byte) *http.Request {
	return Notification{URL: url, Body: body}.Request()
}
