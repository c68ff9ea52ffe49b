package antomgw

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/antomgw/antomgw/wire"
)

// NotificationKind says which webhook a notification is.
type NotificationKind string

// The notifications a gateway sends.
const (
	// KindPayment is notifyPayment: a payment reached a final state.
	KindPayment NotificationKind = "notifyPayment"
	// KindRefund is notifyRefund: an asynchronous refund reached a final
	// state.
	KindRefund NotificationKind = "notifyRefund"
	// KindCapture is notifyCapture: a capture of an authorisation reached
	// a final state.
	KindCapture NotificationKind = "notifyCapture"
)

// PaymentNotification is the body of notifyPayment. Result S means the
// payment succeeded, F that it failed.
type PaymentNotification struct {
	NotifyType        string  `json:"notifyType"`
	Result            Result  `json:"result"`
	PaymentRequestID  string  `json:"paymentRequestId"`
	PaymentID         string  `json:"paymentId"`
	PaymentAmount     *Amount `json:"paymentAmount,omitempty"`
	PaymentCreateTime string  `json:"paymentCreateTime,omitempty"`
	PaymentTime       string  `json:"paymentTime,omitempty"`
	PaymentMethodType string  `json:"paymentMethodType,omitempty"`
	// AuthExpiryTime is set for a successful authorisation: when what is
	// not captured is released.
	AuthExpiryTime string `json:"authExpiryTime,omitempty"`
}

// RefundNotification is the body of notifyRefund. RefundStatus is SUCCESS
// or FAIL.
type RefundNotification struct {
	NotifyType      string  `json:"notifyType"`
	Result          Result  `json:"result"`
	RefundStatus    string  `json:"refundStatus"`
	RefundRequestID string  `json:"refundRequestId"`
	RefundID        string  `json:"refundId"`
	PaymentID       string  `json:"paymentId,omitempty"`
	RefundAmount    *Amount `json:"refundAmount,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
}

// Notification is a verified notification. Exactly one of Payment, Refund
// and Capture is set, as Kind says.
type Notification struct {
	Kind NotificationKind
	// ClientID and RequestTime are the headers the signature covered.
	ClientID    string
	RequestTime string
	// KeyVersion is the gateway key version that verified the signature.
	KeyVersion int
	// Body is the verified JSON body, decrypted when it was encrypted.
	Body    []byte
	Payment *PaymentNotification
	Refund  *RefundNotification
	Capture *CaptureNotification
}

// maxNotification bounds a notification body.
const maxNotification = 1 << 20

// NotificationAck is the acknowledgement body a merchant answers a
// notification with (HTTP 200); anything else makes the gateway send the
// notification again.
const NotificationAck = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`

// ParseNotification reads a notification the gateway POSTed to a
// merchant's notify URL, verifies it and decodes it. The signature must
// verify over
//
//	POST <path of r's URL>\n<Client-Id>.<Request-Time>.<raw body>
//
// with the gateway key its keyVersion names (the highest version in
// gatewayKeys when it names none; gatewayKeys[0], when set, is a key of
// unknown version used for any version not listed, as in
// Config.GatewayKeys). A missing or malformed Signature header, a key
// version not in gatewayKeys (a *KeyVersionError) and a signature that does
// not verify are errors wrapping ErrUnverified: nothing is decoded from an
// unverified body. An encrypted notification needs the merchant's private
// key: use Client.ParseNotification.
//
// The path is the one the handler sees: behind a proxy that rewrites
// paths, restore the original path in r.URL first. The body of r is
// consumed.
func ParseNotification(r *http.Request, gatewayKeys map[int]*rsa.PublicKey) (*Notification, error) {
	newest := 0
	for v := range gatewayKeys {
		newest = max(newest, v)
	}
	return parseNotification(r, gatewayKeys, newest, nil, "")
}

// ParseNotification is the package's ParseNotification with the client's
// gateway keys; it also opens encrypted notifications with the client's
// private key and refuses a notification for another client id.
func (c *Client) ParseNotification(r *http.Request) (*Notification, error) {
	return parseNotification(r, c.keys, c.newest, c.cfg.PrivateKey, c.cfg.ClientID)
}

func parseNotification(r *http.Request, keys map[int]*rsa.PublicKey, newest int, priv *rsa.PrivateKey, clientID string) (*Notification, error) {
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("antomgw: notification: method %s, want POST", r.Method)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxNotification+1))
	if err != nil {
		return nil, fmt.Errorf("antomgw: notification: read body: %w", err)
	}
	if len(body) > maxNotification {
		return nil, fmt.Errorf("antomgw: notification: body exceeds %d bytes", maxNotification)
	}
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	m, sh, err := wire.ReadSigned(r.Header, wire.Notification, r.Method, uri, body)
	if err != nil {
		return nil, fmt.Errorf("antomgw: notification: %w", unverified("the notification", err))
	}
	if clientID != "" && m.ClientID != clientID {
		return nil, fmt.Errorf("antomgw: notification: %w: it is for client-id %q, not %q", ErrUnverified, m.ClientID, clientID)
	}
	if err := verifyWith(keys, newest, m, sh, "the notification"); err != nil {
		return nil, fmt.Errorf("antomgw: notification: %w", err)
	}
	n := &Notification{ClientID: m.ClientID, RequestTime: m.Time, KeyVersion: sh.KeyVersion}
	if n.KeyVersion == 0 {
		n.KeyVersion = newest
	}
	if eh := r.Header.Get(wire.HeaderEncrypt); eh != "" {
		if priv == nil {
			return nil, errors.New("antomgw: notification: the body is encrypted; parse it with Client.ParseNotification, which holds the merchant private key")
		}
		e, err := wire.ParseEncryptHeader(eh)
		if err != nil {
			return nil, fmt.Errorf("antomgw: notification: Encrypt header: %w", err)
		}
		if body, err = wire.DecryptBody(priv, e, body); err != nil {
			return nil, fmt.Errorf("antomgw: notification: open body: %w", err)
		}
	}
	n.Body = body
	var probe struct {
		NotifyType      string `json:"notifyType"`
		RefundID        string `json:"refundId"`
		RefundRequestID string `json:"refundRequestId"`
		RefundStatus    string `json:"refundStatus"`
		CaptureID       string `json:"captureId"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, fmt.Errorf("antomgw: notification: decode body: %w", err)
	}
	// Antom does not document notifyRefund's notifyType; a refund is known
	// by its refund fields.
	var res Result
	if probe.NotifyType == NotifyTypeCapture || probe.CaptureID != "" {
		n.Kind, n.Capture = KindCapture, new(CaptureNotification)
		err = json.Unmarshal(body, n.Capture)
		res = n.Capture.Result
	} else if probe.RefundID != "" || probe.RefundRequestID != "" || probe.RefundStatus != "" || strings.Contains(strings.ToUpper(probe.NotifyType), "REFUND") {
		n.Kind, n.Refund = KindRefund, new(RefundNotification)
		err = json.Unmarshal(body, n.Refund)
		res = n.Refund.Result
	} else {
		n.Kind, n.Payment = KindPayment, new(PaymentNotification)
		err = json.Unmarshal(body, n.Payment)
		res = n.Payment.Result
	}
	if err != nil {
		return nil, fmt.Errorf("antomgw: notification: decode %s: %w", n.Kind, err)
	}
	if !res.Status.Valid() {
		return nil, fmt.Errorf("antomgw: notification: result status %q is not S, F or U", res.Status)
	}
	return n, nil
}

// WriteNotificationAck answers a notification with HTTP 200 and
// NotificationAck, the only answer that stops the gateway from sending it
// again. Write it once the notification is safely recorded (and
// de-duplicated by paymentId, refundId or captureId: it may arrive more
// than once).
func WriteNotificationAck(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, NotificationAck)
}
