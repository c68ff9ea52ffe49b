package httpapi_test

import (
	"bufio"
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// The wire habits of each official Antom SDK, as observed on the wire and
// read in their sources (../shared/spec/sdk-wire-profiles.md and the
// protocol digest §7). Nothing here is SDK code: each profile says what
// bytes the SDK puts on the wire and how it reads the answer, and
// TestSDKWireProfiles replays them against the real server over a raw
// connection, so header names, their case and their repetitions arrive
// exactly as each SDK sends them.

// sdkProfile is one official SDK's habits.
type sdkProfile struct {
	name string
	// tls and absoluteForm: the Python SDK speaks HTTPS only and writes
	// the request line in absolute form (POST https://host/path HTTP/1.1).
	tls, absoluteForm bool
	// header names as the SDK spells them.
	clientID, requestTime, signature string
	// headers added after the three above, in order, with exact names.
	extra [][2]string
	// time formats Request-Time.
	time func(time.Time) string
	// escape turns a standard base64 signature into the URL-encoded value
	// the SDK writes (upper or lower hex).
	escape func(string) string
	// integerIDs: the SDK's examples send paymentRequestId and
	// refundRequestId as JSON integers.
	integerIDs bool
	// read checks the answer the way the SDK reads it and returns the body
	// it would decode.
	read func(tb testing.TB, a rawAnswer) []byte
}

func upperEscape(sig string) string { return url.QueryEscape(sig) }

func lowerEscape(sig string) string {
	return strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(url.QueryEscape(sig))
}

func epochMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

var sdkProfiles = []sdkProfile{
	{
		name: "Go", clientID: "Client-Id", requestTime: "Request-Time", signature: "Signature",
		extra: [][2]string{
			{"Content-Type", "application/json"},
			{"Content-Type", "application/json; charset=UTF-8"},
			{"Key-Version", "1"},
			{"Sdk-Version", "global-open-sdk-go"},
			{"User-Agent", "global-open-sdk-go/1.3.5"},
			{"Agent-Token", ""},
			{"Accept-Encoding", "gzip"},
		},
		time: epochMillis, escape: upperEscape,
		// The status code is ignored; headers are looked up in any case;
		// a missing signature is an error.
		read: func(tb testing.TB, a rawAnswer) []byte {
			return a.mustVerify(tb, a.anyCase)
		},
	},
	{
		name: "Python", tls: true, absoluteForm: true,
		clientID: "client-id", requestTime: "Request-Time", signature: "Signature",
		extra: [][2]string{
			{"Content-Type", "application/json; charset=UTF-8"},
			{"Accept", "text/plain,text/xml,text/javascript,text/html"},
		},
		time:   func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") },
		escape: upperEscape, integerIDs: true,
		// Non-200 raises; the answer's headers are read by their exact
		// lower-case names; a missing signature raises.
		read: func(tb testing.TB, a rawAnswer) []byte {
			a.want200(tb)
			return a.mustVerify(tb, a.exactName)
		},
	},
	{
		name: "PHP", clientID: "client-id", requestTime: "Request-Time", signature: "Signature",
		extra: [][2]string{
			{"Content-Type", "application/json; charset=UTF-8"},
			{"Accept", "*/*"},
		},
		time:   func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-0700") },
		escape: upperEscape,
		// Non-200 gives null; the header block is searched case-sensitively
		// for the lower-case names. A signature it does not find is
		// silently not verified, so here its absence is a failure.
		read: func(tb testing.TB, a rawAnswer) []byte {
			a.want200(tb)
			return a.mustVerify(tb, a.substring)
		},
	},
	{
		name: ".NET", clientID: "client-id", requestTime: "request-time", signature: "signature",
		extra:  [][2]string{{"content-type", "application/json; charset=UTF-8"}},
		time:   func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") },
		escape: lowerEscape,
		read: func(tb testing.TB, a rawAnswer) []byte {
			a.want200(tb)
			return a.mustVerify(tb, a.anyCase)
		},
	},
	{
		name: "Java", clientID: "client-id", requestTime: "Request-Time", signature: "Signature",
		extra:  [][2]string{{"Content-Type", "application/json; charset=UTF-8"}},
		time:   epochMillis,
		escape: upperEscape,
		// Case-insensitive lookup; the signature is the third comma item
		// of the header.
		read: func(tb testing.TB, a rawAnswer) []byte {
			a.want200(tb)
			value, _ := a.anyCase("signature")
			items := strings.Split(value, ",")
			if len(items) < 3 || !strings.HasPrefix(items[2], "signature=") {
				tb.Fatalf("Java reads the third comma item of signature %q as the signature; it is not signature=…", value)
			}
			return a.mustVerify(tb, a.anyCase)
		},
	},
}

// TestSDKWireProfiles replays each official SDK's wire habits for pay,
// inquiryPayment, refund, inquiryRefund and cancel, and reads every answer
// as that SDK does.
func TestSDKWireProfiles(t *testing.T) {
	h := newGateway(t)
	eachSDKProfile(t, h, func(t *testing.T, i int, p sdkProfile, c *sdkCaller) {
		payID, refundID := fmt.Sprintf("PROFILE_%d_PAY", i), fmt.Sprintf("PROFILE_%d_REFUND", i)
		idJSON := func(s string) string { return strconv.Quote(s) }
		if p.integerIDs {
			payID, refundID = strconv.Itoa(1733100000+i), strconv.Itoa(1733200000+i)
			idJSON = func(s string) string { return s }
		}
		pay := strings.Replace(payBody("X", 1000), `"paymentRequestId":"X"`, `"paymentRequestId":`+idJSON(payID), 1)
		var pr struct {
			Result           wire.Result `json:"result"`
			PaymentID        string      `json:"paymentId"`
			PaymentRequestID string      `json:"paymentRequestId"`
		}
		c.call(t, pathPay, pay, &pr)
		if pr.Result.Status != wire.StatusSuccess || pr.PaymentID == "" || pr.PaymentRequestID != payID {
			t.Fatalf("pay = %+v, want S with a paymentId and paymentRequestId %q (a string)", pr, payID)
		}

		var ir struct {
			Result           wire.Result `json:"result"`
			PaymentStatus    string      `json:"paymentStatus"`
			PaymentRequestID string      `json:"paymentRequestId"`
		}
		c.call(t, pathInquiryPayment, `{"paymentRequestId":`+idJSON(payID)+`}`, &ir)
		if ir.Result.Status != wire.StatusSuccess || ir.PaymentStatus != "SUCCESS" || ir.PaymentRequestID != payID {
			t.Errorf("inquiryPayment = %+v, want S, SUCCESS, paymentRequestId %q", ir, payID)
		}

		var rr struct {
			Result          wire.Result `json:"result"`
			RefundID        string      `json:"refundId"`
			RefundRequestID string      `json:"refundRequestId"`
		}
		c.call(t, pathRefund, `{"refundRequestId":`+idJSON(refundID)+`,"paymentId":"`+pr.PaymentID+`","refundAmount":{"currency":"USD","value":"100"}}`, &rr)
		if rr.Result.Status != wire.StatusSuccess || rr.RefundID == "" || rr.RefundRequestID != refundID {
			t.Errorf("refund = %+v, want S with a refundId and refundRequestId %q", rr, refundID)
		}

		var qr struct {
			Result       wire.Result `json:"result"`
			RefundStatus string      `json:"refundStatus"`
		}
		c.call(t, pathInquiryRefund, `{"refundRequestId":`+idJSON(refundID)+`}`, &qr)
		if qr.Result.Status != wire.StatusSuccess || qr.RefundStatus != "SUCCESS" {
			t.Errorf("inquiryRefund = %+v, want S, SUCCESS", qr)
		}

		// cancel needs a payment of its own (a refunded one is past
		// cancelling).
		cancelID := payID + "9"
		c.call(t, pathPay, strings.Replace(pay, idJSON(payID), idJSON(cancelID), 1), &pr)
		var cr struct {
			Result    wire.Result `json:"result"`
			PaymentID string      `json:"paymentId"`
		}
		c.call(t, pathCancel, `{"paymentRequestId":`+idJSON(cancelID)+`}`, &cr)
		if cr.Result.Status != wire.StatusSuccess || cr.PaymentID != pr.PaymentID {
			t.Errorf("cancel = %+v, want S for payment %s", cr, pr.PaymentID)
		}
	})
}

// sdkCaller sends requests the way one SDK does.
type sdkCaller struct {
	h       gw
	p       sdkProfile
	base    string
	tlsConf *tls.Config
	gw      map[int]*rsa.PublicKey
	key     *rsa.PrivateKey // signs; the registered client's key when nil
}

// call sends body to path and decodes the answer, read as the SDK reads
// it, into v.
func (c *sdkCaller) call(tb testing.TB, path, body string, v any) {
	tb.Helper()
	a := c.send(tb, path, body, 1)
	if err := json.Unmarshal(c.p.read(tb, a), v); err != nil {
		tb.Fatalf("%s %s: answer %s: %v", c.p.name, path, a.body, err)
	}
}

// send writes one request on a new raw connection, signed with keyVersion
// in the header, and returns the answer as received.
func (c *sdkCaller) send(tb testing.TB, path, body string, keyVersion int) rawAnswer {
	tb.Helper()
	u, err := url.Parse(c.base)
	if err != nil {
		tb.Fatal(err)
	}
	// A second apart on the gateway's clock: some SDKs write whole seconds.
	reqTime := c.p.time(c.h.Clock().Advance(time.Second))
	key := c.key
	if key == nil {
		key = c.h.MerchantKey()
	}
	sig, err := wire.Sign(key, wire.SigningContent("POST", path, c.h.ClientID(), reqTime, []byte(body)))
	if err != nil {
		tb.Fatal(err)
	}
	// wire.Sign gives the URL-encoded value; the SDKs encode standard
	// base64 themselves, in upper or lower hex.
	std, err := url.QueryUnescape(sig)
	if err != nil {
		tb.Fatal(err)
	}
	target := path
	if c.p.absoluteForm {
		target = "https://" + u.Hostname() + path
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\n", target, u.Host)
	fmt.Fprintf(&req, "%s: algorithm=RSA256,keyVersion=%d,signature=%s\r\n", c.p.signature, keyVersion, c.p.escape(std))
	fmt.Fprintf(&req, "%s: %s\r\n", c.p.requestTime, reqTime)
	fmt.Fprintf(&req, "%s: %s\r\n", c.p.clientID, c.h.ClientID())
	for _, kv := range c.p.extra {
		fmt.Fprintf(&req, "%s: %s\r\n", kv[0], kv[1])
	}
	fmt.Fprintf(&req, "Content-Length: %d\r\n\r\n%s", len(body), body)

	var conn net.Conn
	if c.tlsConf != nil {
		conn, err = tls.Dial("tcp", u.Host, c.tlsConf)
	} else {
		conn, err = net.Dial("tcp", u.Host)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(req.Bytes()); err != nil {
		tb.Fatal(err)
	}
	var raw bytes.Buffer
	resp, err := http.ReadResponse(bufio.NewReader(io.TeeReader(conn, &raw)), nil)
	if err != nil {
		tb.Fatalf("%s %s: read answer: %v", c.p.name, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatal(err)
	}
	head, _, _ := bytes.Cut(raw.Bytes(), []byte("\r\n\r\n"))
	return rawAnswer{status: resp.StatusCode, head: string(head), body: b, path: path, clientID: c.h.ClientID(), gw: c.gw, merchant: key}
}

// rawAnswer is an answer as it came off the wire: the header block with
// its names in their case on the wire.
type rawAnswer struct {
	status   int
	head     string // status line and header lines
	body     []byte
	path     string
	clientID string
	gw       map[int]*rsa.PublicKey
	merchant *rsa.PrivateKey
}

// lines returns the header lines as name, value pairs, names as sent.
func (a rawAnswer) lines() [][2]string {
	var out [][2]string
	for i, line := range strings.Split(a.head, "\r\n") {
		if i == 0 {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		out = append(out, [2]string{name, strings.TrimSpace(value)})
	}
	return out
}

// anyCase looks a header up ignoring case (Go, .NET, Java).
func (a rawAnswer) anyCase(name string) (string, bool) {
	for _, kv := range a.lines() {
		if strings.EqualFold(kv[0], name) {
			return kv[1], true
		}
	}
	return "", false
}

// exactName looks a header up by its exact name (Python).
func (a rawAnswer) exactName(name string) (string, bool) {
	for _, kv := range a.lines() {
		if kv[0] == name {
			return kv[1], true
		}
	}
	return "", false
}

// substring finds "name:" case-sensitively in the header block (PHP).
func (a rawAnswer) substring(name string) (string, bool) {
	i := strings.Index(a.head, "\r\n"+name+":")
	if i < 0 {
		return "", false
	}
	line := a.head[i+2:]
	if j := strings.Index(line, "\r\n"); j >= 0 {
		line = line[:j]
	}
	return strings.TrimSpace(strings.TrimPrefix(line, name+":")), true
}

func (a rawAnswer) want200(tb testing.TB) {
	tb.Helper()
	if a.status != http.StatusOK {
		tb.Fatalf("HTTP status %d; this SDK treats anything but 200 as an error", a.status)
	}
}

// mustVerify finds signature, response-time and client-id with lookup and
// verifies the signature over the request path with the gateway key the
// header's keyVersion names (the official SDKs hold one key, version 1).
// It returns the body, opened when encrypted.
func (a rawAnswer) mustVerify(tb testing.TB, lookup func(string) (string, bool)) []byte {
	tb.Helper()
	sig, ok1 := lookup("signature")
	rt, ok2 := lookup("response-time")
	id, ok3 := lookup("client-id")
	if !ok1 || !ok2 || !ok3 {
		tb.Fatalf("answer headers signature/response-time/client-id found %v/%v/%v as this SDK looks them up; header block:\n%s", ok1, ok2, ok3, a.head)
	}
	sh, err := wire.ParseSignatureHeader(sig)
	if err != nil {
		tb.Fatalf("signature header %q: %v", sig, err)
	}
	pub := a.gw[sh.KeyVersion]
	if pub == nil {
		tb.Fatalf("answer signed with gateway key version %d; the SDK holds %v", sh.KeyVersion, a.gw)
	}
	if err := wire.Verify(pub, wire.SigningContent("POST", a.path, id, rt, a.body), sh.Signature); err != nil {
		tb.Fatalf("answer signature does not verify over POST %s: %v", a.path, err)
	}
	if id != a.clientID {
		tb.Errorf("answer client-id %q, want %q", id, a.clientID)
	}
	return a.body
}
