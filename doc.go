// Package antomgw is the Go SDK for Antom-compatible payment gateways (Antom
// itself, or an antomgw server). It depends on the standard library and
// package wire only.
//
// A Client makes each payment API one call, with a context first and typed
// request and response bodies: Pay (every in-store scenario and the
// cashier, authorisations included), InquiryPayment, CancelPayment, Refund,
// InquiryRefund and Capture, in the AMS v1 or the omnichannel (POS) v2 path
// family (Capture: AMS v1 only), with or without body encryption. Each
// call signs the request, sends it on one reused *http.Client, and
// verifies the answer's signature with the gateway key its keyVersion
// names before reading anything from it: an answer without a valid
// signature is an error wrapping ErrUnverified, never a result.
//
// For online checkout, Consult lists the payment methods that can pay an
// amount, CreatePaymentSession makes a session for the hosted checkout page
// (its NormalURL) or the payment element, and RetrievePaymentSession reads
// it back, at the path every official SDK calls
// (/ams/api//v1/payments/retrievePaymentSession, double slash included).
// These three are AMS v1 only.
//
// # Results and errors
//
// Every answer carries a Result whose status is S, F or U. A call returns
// a nil error only for S. For a verified F or U it returns the decoded
// response and an *Error carrying the Result (a U PAYMENT_IN_PROCESS still
// has the paymentId and the code to show the user). Without a verified
// answer it returns nil and an error. IsFail and IsUnknown tell the cases
// apart; never treat an unknown outcome as a failure: money may have moved.
//
// # Retries
//
// Network errors, attempt timeouts, HTTP 5xx and the results U
// UNKNOWN_EXCEPTION and REQUEST_TRAFFIC_EXCEED_LIMIT are retried with the
// same body bytes (so the same paymentRequestId or refundRequestId, the
// idempotency keys), each attempt signed afresh, after a capped, jittered
// backoff; each retry is logged with its reason. F results are never
// retried, and nothing is sent after the caller's context ends.
//
// # POS terminals
//
// When a pay answer is U or lost, Antom asks a terminal to poll
// inquiryPayment until the payment is final, and to cancel it when it is
// not final in time. PayAndResolve and ResolvePayment do exactly that and
// return an Outcome.
//
// # Notifications
//
// ParseNotification verifies a notifyPayment, notifyRefund or
// notifyCapture POSTed to a merchant's notify URL and decodes it;
// WriteNotificationAck acknowledges it.
//
// # Quick start
//
//	c, err := antomgw.NewClient(antomgw.Config{
//		ClientID:    "MY_SHOP",
//		PrivateKey:  merchantKey,                            // wire.ParsePrivateKey
//		GatewayKeys: map[int]*rsa.PublicKey{1: gatewayKey}, // wire.ParsePublicKey
//		BaseURL:     "http://127.0.0.1:8080",
//	})
//	resp, err := c.Pay(ctx, &antomgw.PayRequest{…})
//
// Package antomtest has a fake gateway and signed notifications for tests.
// The protocol itself (string to sign, headers, encryption, result codes)
// is described in package wire.
package antomgw
