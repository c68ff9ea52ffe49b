//go:build unix

package fault

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// badMaxBody is the --max-body of the bad-input server: small, so that
// oversized bodies are cheap to send.
const badMaxBody = 65536

// badCase is one malformed request and the F code it must be answered with.
type badCase struct {
	name string
	r    gatewaytest.Request
	code string
}

// seeded is what the bad-input store holds before the corpus runs.
type seeded struct {
	okID, failID, v2ID string // paymentIds: SUCCESS (partly refunded), FAIL, SUCCESS (v2)
	refundID           string
}

// TestBadInput sends a corpus of malformed requests, generated below, each
// naming the F result code it must get. Every answer must be HTTP 200 with
// that code, resultStatus F, a message of at most 256 bytes and a valid
// gateway signature (over the request's method and path, whatever they
// were); and the store — every record it holds, read through its own
// queries — must be exactly as it was, after each case and after the whole
// corpus.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", "BAD_SHOP")
	// A second client, for requests on the first one's payments.
	other := e.addClient("OTHER_SHOP")
	// Every refusal here is checked for its own code: the refusal budget
	// (TestHardening) is off, so a longer corpus never meets it.
	s := e.mustStart("--max-body", fmt.Sprint(badMaxBody), "--max-clock-skew", "5m", "--refusal-rate", "0")

	// A few real payments and a refund, so that lookups, refunds and
	// replays have something to hit.
	mustPay := func(path, body, code string) string {
		rep, err := s.send(gatewaytest.Request{Path: path, Body: body})
		if err != nil {
			t.Fatalf("seed %s: %v", path, err)
		}
		if rep.Result.Code != code || rep.PaymentID == "" {
			t.Fatalf("seed %s: %v paymentId %q, want %s", path, rep.Result, rep.PaymentID, code)
		}
		return rep.PaymentID
	}
	var sd seeded
	sd.okID = mustPay(pathPayV1, payV1("SEED_OK", 5000), wire.CodeSuccess)
	sd.failID = mustPay(pathPayV1, payV1("SEED_FAIL", 9906), wire.CodeUserBalanceNotEnough)
	sd.v2ID = mustPay(pathPayV2, payV2("SEED_V2", 3000), wire.CodeSuccess)
	rep, err := s.send(gatewaytest.Request{Path: "/ams/api/v1/payments/refund",
		Body: fmt.Sprintf(`{"refundRequestId":"SEED_REFUND","paymentId":%q,"refundAmount":{"currency":"USD","value":"1000"}}`, sd.okID)})
	if err != nil || rep.Result.Code != wire.CodeSuccess {
		t.Fatalf("seed refund: %v %v", rep, err)
	}
	sd.refundID = gatewaytest.Decode[struct {
		RefundID string `json:"refundId"`
	}](t, rep.Reply).RefundID

	cases := badCorpus(e, sd, other)
	if len(cases) < 200 {
		t.Fatalf("the corpus has %d cases, want at least 200", len(cases))
	}

	st := openStore(t, e)
	defer st.Close()
	// The store must be still for the comparison to mean anything: nothing
	// is pending, no payment or refund waits for a delayed completion and
	// no notification for delivery (the client has no notification URL).
	if pending := pendingWork(t, st); pending != "" {
		t.Fatalf("the store has work pending before the corpus runs: %s", pending)
	}
	before := mustDump(t, st)

	byCode := tally{}
	names := map[string]bool{}
	var changed, wrong int
	start := time.Now()
	for i, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases are named %s", c.name)
		}
		names[c.name] = true
		rep, err := s.send(c.r)
		switch {
		case err != nil:
			wrong++
			t.Errorf("case %d %s: %v", i, c.name, err)
		case rep.Result.Status != wire.StatusFail || rep.Result.Code != c.code:
			wrong++
			t.Errorf("case %d %s: answered %s %s %q, want F %s", i, c.name, rep.Result.Status, rep.Result.Code, rep.Result.Message, c.code)
		case len(rep.Result.Message) > 256:
			wrong++
			t.Errorf("case %d %s: resultMessage is %d bytes, want at most 256", i, c.name, len(rep.Result.Message))
		}
		if rep != nil {
			byCode.add(string(rep.Result.Status) + " " + rep.Result.Code)
		}
		if after := mustDump(t, st); after != before {
			changed++
			t.Errorf("case %d %s changed the store:\nbefore %s\nafter %s", i, c.name, before, after)
			before = after
		}
		if !s.Running() {
			t.Fatalf("case %d %s: the server exited (%v)\n%s", i, c.name, s.State(), s.Tail())
		}
	}
	took := time.Since(start)
	if err := s.term(); err != nil {
		t.Error(err)
	}
	if after := mustDump(t, st); after != before {
		t.Errorf("the store after the server stopped differs from before the corpus:\n%s\n---\n%s", before, after)
	}
	t.Logf("bad input: %d malformed requests in %v, answers by code: %s", len(cases), took.Round(time.Millisecond), byCode.String())
	t.Logf("bad input: %d answered with the wrong code or badly, %d changed the store; every answer's signature checked", wrong, changed)
}

// badCorpus generates the malformed requests. Each request id in a body is
// new, so that a request wrongly accepted would leave a visible row.
func badCorpus(e *env, sd seeded, other *rsa.PrivateKey) []badCase {
	var cs []badCase
	n := 0
	add := func(name string, code string, r gatewaytest.Request) {
		cs = append(cs, badCase{name: name, r: r, code: code})
	}
	newID := func() string { n++; return fmt.Sprintf("BAD_%03d", n) }
	good := func() string { return payV1(newID(), 1000) }
	gw := e.gwKeys[1]

	const (
		illegal   = wire.CodeParamIllegal
		media     = wire.CodeMediaTypeNotAcceptable
		badSig    = wire.CodeInvalidSignature
		noKey     = wire.CodeKeyNotFound
		notExist  = wire.CodeOrderNotExist
		repeatReq = wire.CodeRepeatReqInconsistent
	)
	apis := []string{"pay", "inquiryPayment", "cancel", "refund", "inquiryRefund"}
	families := []string{"/ams/api/v1/payments/", "/ams/sandbox/api/v1/payments/", "/openapi/v2/payments/"}

	// --- methods: every API path with GET, PUT and DELETE; more on pay.
	for _, fam := range families {
		for _, api := range apis {
			for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
				var body string
				if m == http.MethodPut {
					body = good()
				}
				add("method "+m+" "+fam+api, wire.CodeMethodNotSupported, gatewaytest.Request{Method: m, Path: fam + api, Body: body})
			}
		}
	}
	add("method PATCH", wire.CodeMethodNotSupported, gatewaytest.Request{Method: http.MethodPatch, Path: pathPayV1, Body: good()})
	add("method OPTIONS", wire.CodeMethodNotSupported, gatewaytest.Request{Method: http.MethodOptions, Path: pathPayV1})
	add("method lower-case post", wire.CodeMethodNotSupported, gatewaytest.Request{Method: "post", Path: pathPayV1, Body: good()})
	add("method PROPFIND", wire.CodeMethodNotSupported, gatewaytest.Request{Method: "PROPFIND", Path: pathPayV1, Body: good()})

	// --- paths.
	for _, p := range []string{
		"/ams/api/v1/payments/nope", "/ams/api/v1/payments/pay/extra", "/ams/api/v1/payments//pay",
		"//ams/api/v1/payments/pay", "/ams/api/v2/payments/pay", "/openapi/v3/payments/pay",
		"/openapi/v1/payments/pay", "/", "/ams", "/ams/api/v1/payments/PAY", "/AMS/API/V1/PAYMENTS/PAY",
		"/ams/api/v1/payments/pay%20", "/ams/api/v1/payments/../payments/pay", "/ams/api/v1/payments/pay.json",
		"/metrics", "/ams/api/v1/payments/updateAmount", "/ams/api/v1/subscriptions/create",
		"/ams/api/v1/payments/pay;jsessionid=1", "/ams/api/v1/payments/%70ay/x",
	} {
		add("path "+p, wire.CodeNoInterfaceDef, gatewaytest.Request{Path: p, Body: good()})
	}

	// --- oversized bodies.
	pad := func(size int) string {
		b := payV1(newID(), 1000)
		out := strings.Replace(b, `"coffee"`, `"`+strings.Repeat("a", size-len(b)+6)+`"`, 1)
		if len(out) != size {
			panic(fmt.Sprintf("pad: %d bytes, want %d", len(out), size))
		}
		return out
	}
	for _, size := range []int{badMaxBody + 1, badMaxBody + 100, 2 * badMaxBody, 200_000} {
		add(fmt.Sprintf("body %d bytes", size), illegal, gatewaytest.Request{Path: pathPayV1, Body: pad(size)})
	}
	add("body of spaces over the limit", illegal, gatewaytest.Request{Path: pathPayV1, Body: good() + strings.Repeat(" ", badMaxBody)})
	add("body over the limit on inquiry", illegal, gatewaytest.Request{Path: pathInquiryV1, Body: `{"paymentId":"` + strings.Repeat("9", badMaxBody) + `"}`})

	// --- Content-Type and Accept.
	for _, ct := range []string{"", "text/html", "text/plain", "text/plain; charset=UTF-8", "application/xml",
		"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=ISO-8859-1",
		"application/json; charset=utf-16", "application/json;;", "application/json, text/html", "json", "*/*",
		"application/jsonp", "application/problem+json"} {
		add("content-type "+fmt.Sprintf("%q", ct), media, gatewaytest.Request{Path: pathPayV1, Body: good(), Header: map[string]string{"Content-Type": ct}})
	}
	add("content-type repeated, second bad", media, gatewaytest.Request{Path: pathPayV1, Body: good(), AddHeader: [][2]string{{"Content-Type", "text/html"}}})
	// Accept is never refused (the official Python SDK's has no JSON in
	// it); internal/httpapi's TestSDKWireProfiles sends it.

	// --- Client-Id.
	add("client-id missing", wire.CodeInvalidClient, gatewaytest.Request{Path: pathPayV1, Body: good(), ClientID: ptr("")})
	for _, id := range []string{"SOMEONE_ELSE", "bad_shop", "BAD_SHOP_", "BÄD_SHOP", strings.Repeat("C", 1000), "BAD_SHOP,BAD_SHOP", "'; DROP TABLE payments; --"} {
		add("client-id "+clip(id, 20), wire.CodeInvalidClient, gatewaytest.Request{Path: pathPayV1, Body: good(), ClientID: ptr(id)})
	}

	// --- Request-Time.
	for _, rt := range []string{"", "yesterday", "2024-13-45T00:00:00Z", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z",
		"170406720000", "99999999999999999999", "-1704067200000", "1.7e12", "1600000000000", "4102444800000",
		"2019-04-04T12:08:56.253+05:30", wire.FormatTime(time.Now().Add(-10 * time.Minute)), wire.FormatTime(time.Now().Add(time.Hour))} {
		add("request-time "+fmt.Sprintf("%q", rt), illegal, gatewaytest.Request{Path: pathPayV1, Body: good(), Time: ptr(rt)})
	}

	// --- Signature header.
	validSig := func(content []byte) string {
		sig, _ := wire.Sign(e.key, content)
		return sig
	}
	sigWith := func(f func(sig string) string) func([]byte) string {
		return func(c []byte) string { return f(validSig(c)) }
	}
	add("signature missing", badSig, gatewaytest.Request{Path: pathPayV1, Body: good(), Signature: ptr("")})
	for _, h := range []string{
		"algorithm=RSA256,keyVersion=1", "garbage", "algorithm=RSA256,keyVersion=1,signature=",
		"algorithm=ECC224,keyVersion=1,signature=abc", "algorithm=RSA256,keyVersion=1,signature=%ZZ",
		"algorithm=RSA256,keyVersion=1,signature=!!!not-base64!!!",
		"algorithm=RSA256,keyVersion=1,signature=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 256)),
		"algorithm=RSA256,keyVersion=1,signature=" + strings.Repeat("QUFB", 15000),
		"algorithm=RSA256,keyVersion=0,signature=abc", "algorithm=RSA256,keyVersion=-1,signature=abc",
		"algorithm=RSA256,keyVersion=abc,signature=abc", "algorithm=RSA256,keyVersion=99999999999,signature=abc",
		"algorithm=RSA256,keyVersion=1,signature=abc,signature=abd",
	} {
		add("signature header "+clip(h, 50), badSig, gatewaytest.Request{Path: pathPayV1, Body: good(), Signature: ptr(h)})
	}
	add("signature algorithm HS256", badSig, gatewaytest.Request{Path: pathPayV1, Body: good(), Sign: sigWith(func(s string) string { return "algorithm=HS256,keyVersion=1,signature=" + s })})
	add("signature algorithm missing", badSig, gatewaytest.Request{Path: pathPayV1, Body: good(), Sign: sigWith(func(s string) string { return "keyVersion=1,signature=" + s })})
	add("signature truncated", badSig, gatewaytest.Request{Path: pathPayV1, Body: good(), Sign: sigWith(func(s string) string { return "algorithm=RSA256,keyVersion=1,signature=" + s[:len(s)-12] })})
	add("signature one character changed", badSig, gatewaytest.Request{Path: pathPayV1, Body: good(), Sign: sigWith(func(s string) string {
		b := []byte(s)
		if b[10] == 'A' {
			b[10] = 'B'
		} else {
			b[10] = 'A'
		}
		return "algorithm=RSA256,keyVersion=1,signature=" + string(b)
	})})
	// A keyVersion that is not registered is refused when no active key
	// verifies; signed with the client's key it is served (official SDKs
	// name version 1 whatever key signs).
	add("signature keyVersion 2 (not registered), another key", noKey, gatewaytest.Request{Path: pathPayV1, Body: good(), Sign: func(c []byte) string {
		sig, _ := wire.Sign(other, c)
		return "algorithm=RSA256,keyVersion=2,signature=" + sig
	}})
	add("signature keyVersion 7 (not registered), another key", noKey, gatewaytest.Request{Path: pathPayV1, Body: good(), Sign: func(c []byte) string {
		sig, _ := wire.Sign(other, c)
		return "algorithm=RSA256,keyVersion=7,signature=" + sig
	}})
	add("signature by another key", badSig, gatewaytest.Request{Path: pathPayV1, Body: good(), Sign: func(c []byte) string {
		sig, _ := wire.Sign(other, c)
		return "algorithm=RSA256,keyVersion=1,signature=" + sig
	}})
	signOver := func(method, uri, clientID, reqTime, body string) func([]byte) string {
		return func([]byte) string {
			return e.signHeader(wire.SigningContent(method, uri, clientID, reqTime, []byte(body)))
		}
	}
	{
		b := good()
		rt := e.nextTime()
		add("signed over another client id", badSig, gatewaytest.Request{Path: pathPayV1, Body: b, Time: ptr(rt), Sign: signOver("POST", pathPayV1, "OTHER_SHOP", rt, b)})
	}
	{
		b := good()
		rt := e.nextTime()
		add("signed over another path", badSig, gatewaytest.Request{Path: pathPayV1, Body: b, Time: ptr(rt), Sign: signOver("POST", "/ams/sandbox/api/v1/payments/pay", e.clientID, rt, b)})
		add("signed over another method", badSig, gatewaytest.Request{Path: pathPayV1, Body: b, Time: ptr(rt), Sign: signOver("PUT", pathPayV1, e.clientID, rt, b)})
		add("signed over the path without its query", badSig, gatewaytest.Request{Path: pathPayV1 + "?debug=1", Body: b, Time: ptr(rt), Sign: signOver("POST", pathPayV1, e.clientID, rt, b)})
		add("signed over an empty body", badSig, gatewaytest.Request{Path: pathPayV1, Body: b, Time: ptr(rt), Sign: signOver("POST", pathPayV1, e.clientID, rt, "")})
	}

	// --- replayed signatures with altered bodies (and headers).
	{
		id := newID()
		orig := payV1(id, 1000)
		rt := e.nextTime()
		sig := e.signHeader(wire.SigningContent("POST", pathPayV1, e.clientID, rt, []byte(orig)))
		replay := func(name, body string) {
			add("replay with "+name, badSig, gatewaytest.Request{Path: pathPayV1, Body: body, Time: ptr(rt), Signature: ptr(sig)})
		}
		replay("amount changed", strings.Replace(orig, `"value":"1000"`, `"value":"100000"`, 1))
		replay("amount as a number", strings.Replace(orig, `"value":"1000"`, `"value":1000`, 1))
		replay("currency changed", strings.Replace(orig, `"USD"`, `"EUR"`, 1))
		replay("request id changed", strings.ReplaceAll(orig, id, id+"X"))
		replay("a space added", strings.Replace(orig, `{"productCode"`, `{ "productCode"`, 1))
		replay("a trailing newline", orig+"\n")
		replay("keys reordered", jsonSet(orig, "", ""))
		replay("a field added", jsonSet(orig, "extendInfo", `"x"`))
		replay("a field removed", jsonSet(orig, "order.orderDescription", del))
		replay("an escape instead of a letter", strings.Replace(orig, `"coffee"`, `"\u0063offee"`, 1))
		replay("the body cut short", orig[:len(orig)-1])
		replay("the body twice", orig+orig)
		replay("method id changed", strings.Replace(orig, `281012345678`, `281012345679`, 1))
		add("replay with another Request-Time", badSig, gatewaytest.Request{Path: pathPayV1, Body: orig, Time: ptr(e.nextTime()), Signature: ptr(sig)})
		add("replay on the sandbox path", badSig, gatewaytest.Request{Path: "/ams/sandbox/api/v1/payments/pay", Body: orig, Time: ptr(rt), Signature: ptr(sig)})
		add("replay as another client", badSig, gatewaytest.Request{Path: pathPayV1, Body: orig, Time: ptr(rt), Signature: ptr(sig), ClientID: ptr("OTHER_SHOP")})
		old := wire.FormatTime(time.Now().Add(-10 * time.Minute))
		add("replay of a request signed 10 minutes ago", illegal, gatewaytest.Request{Path: pathPayV1, Body: orig, Time: ptr(old), Sign: signOver("POST", pathPayV1, e.clientID, old, orig)})
	}

	// --- Encrypt header and encrypted bodies.
	encHdr := func(v string) map[string]string { return map[string]string{"Encrypt": v} }
	for _, h := range []string{"algorithm=RSA_AES", "algorithm=XOR,symmetricKey=abc", "algorithm=RSA_AES,symmetricKey=abcd",
		"garbage", "algorithm=RSA_AES,keyVersion=x,symmetricKey=abc", "symmetricKey=abc",
		"algorithm=RSA_AES,symmetricKey=" + strings.Repeat("A", 344)} {
		add("encrypt header "+clip(h, 40), illegal, gatewaytest.Request{Path: pathPayV1, Body: good(), Header: encHdr(h)})
	}
	encrypted := func(plain string, ver int) (string, string) {
		body, eh, err := wire.EncryptBody(nil, gw, ver, []byte(plain))
		if err != nil {
			panic(err)
		}
		return string(body), eh.String()
	}
	{
		body, h := encrypted(good(), 9)
		add("encrypted for gateway keyVersion 9", noKey, gatewaytest.Request{Path: pathPayV1, Body: body, Header: map[string]string{"Encrypt": h, "Content-Type": "text/plain; charset=UTF-8"}})
		body, _ = encrypted(good(), 1)
		_, h2 := encrypted(good(), 1)
		add("encrypted body with another body's key", illegal, gatewaytest.Request{Path: pathPayV1, Body: body, Header: map[string]string{"Encrypt": h2, "Content-Type": "text/plain; charset=UTF-8"}})
		body, h = encrypted(good(), 1)
		add("encrypted body cut short", illegal, gatewaytest.Request{Path: pathPayV1, Body: body[:len(body)-7], Header: map[string]string{"Encrypt": h, "Content-Type": "text/plain; charset=UTF-8"}})
		add("encrypted body with text/html", media, gatewaytest.Request{Path: pathPayV1, Body: body, Header: map[string]string{"Encrypt": h, "Content-Type": "text/html"}})
	}
	add("encrypted broken JSON", illegal, gatewaytest.Request{Path: pathPayV1, Body: `{"productCode":`, Encrypt: true})
	add("encrypted invalid UTF-8", illegal, gatewaytest.Request{Path: pathPayV1, Body: strings.Replace(good(), "coffee", "caf\xe9", 1), Encrypt: true})
	add("encrypted negative amount", illegal, gatewaytest.Request{Path: pathPayV1, Body: payV1(newID(), -5), Encrypt: true})
	add("encrypted inquiry of an unknown payment", notExist, gatewaytest.Request{Path: pathInquiryV1, Body: `{"paymentId":"NO_SUCH_PAYMENT"}`, Encrypt: true})

	// --- broken JSON.
	{
		b := good()
		for k := 1; k <= 12; k++ {
			cut := len(b) * k / 13
			add(fmt.Sprintf("JSON cut at byte %d", cut), illegal, gatewaytest.Request{Path: pathPayV1, Body: b[:cut]})
		}
	}
	for name, body := range map[string]string{
		"empty": ``, "spaces": "  \n\t ", "null": `null`, "array": `[1,2]`, "empty array": `[]`, "number": `12`,
		"string": `"pay"`, "true": `true`, "open brace": `{`, "close brace": `}`, "empty object": `{}`,
		"missing value": `{"productCode":}`, "trailing garbage": string(good()) + `x`, "trailing object": string(good()) + `{}`,
		"BOM": "\ufeff" + string(good()), "NUL inside": strings.Replace(string(good()), "coffee", "cof\x00fee", 1),
		"comment": `/* c */` + string(good()), "single quotes": strings.ReplaceAll(string(good()), `"`, `'`),
		"NaN": strings.Replace(string(good()), `"1000"`, `NaN`, 1), "trailing comma": strings.Replace(string(good()), `}}`, `},}`, 1),
		"unquoted key": strings.Replace(string(good()), `"productCode"`, `productCode`, 1),
		"control char": strings.Replace(string(good()), "coffee", "cof\x01fee", 1),
		"deep nesting": strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		"bad escape":   strings.Replace(string(good()), "coffee", `cof\qfee`, 1),
	} {
		add("JSON "+name, illegal, gatewaytest.Request{Path: pathPayV1, Body: body})
	}

	// --- wrong JSON types.
	for _, tc := range []struct{ path, raw string }{
		{"productCode", `1`}, {"paymentRequestId", `12.5`}, {"paymentRequestId", `1e3`}, {"paymentRequestId", `true`}, {"paymentRequestId", `{}`},
		{"paymentRequestId", `["a"]`}, {"paymentRequestId", `null`}, {"paymentAmount", `"1000"`}, {"paymentAmount", `[]`},
		{"paymentAmount.value", `true`}, {"paymentAmount.value", `{}`}, {"paymentAmount.value", `[1]`}, {"paymentAmount.value", `null`},
		{"paymentAmount.currency", `840`}, {"order", `"x"`}, {"order.referenceOrderId", `5.5`}, {"paymentMethod", `"CONNECT_WALLET"`},
		{"paymentMethod.paymentMethodType", `[]`}, {"paymentFactor", `1`}, {"paymentFactor.inStorePaymentScenario", `false`},
		{"paymentNotifyUrl", `1`}, {"paymentExpiryTime", `0`},
	} {
		add("type "+tc.path+"="+tc.raw, illegal, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(good(), tc.path, tc.raw)})
	}

	// --- amounts: zero, negative, huge, not integers.
	for _, v := range []string{`"0"`, `"-1"`, `"-100"`, `"-0"`, `"00"`, `"0100"`, `"+100"`, `"1.5"`, `"1e3"`, `"0x10"`,
		`" 100"`, `"100 "`, `""`, `"abc"`, `"99999999999999999999"`, `"9223372036854775807"`, `"9223372036854775808"`,
		`"1000000000000000001"`, `0`, `-1`, `1.5`, `1e3`, `-9903`, `99999999999999999999999999`, `"１００"`} {
		add("amount "+v, illegal, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(good(), "paymentAmount.value", v)})
	}
	for _, v := range []string{`0`, `-5`, `2147483648`, `1e3`, `1.5`, `99999999999999999999999`, `"abc"`, `true`} {
		add("v2 amount "+v, illegal, gatewaytest.Request{Path: pathPayV2, Body: jsonSet(payV2(newID(), 100), "paymentAmount.value", v)})
	}
	add("refund amount 0", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund",
		Body: fmt.Sprintf(`{"refundRequestId":%q,"paymentId":%q,"refundAmount":{"currency":"USD","value":"0"}}`, newID(), sd.okID)})
	add("refund amount negative", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund",
		Body: fmt.Sprintf(`{"refundRequestId":%q,"paymentId":%q,"refundAmount":{"currency":"USD","value":"-100"}}`, newID(), sd.okID)})

	// --- currencies.
	for _, c := range []string{`"usd"`, `"US"`, `"USDD"`, `""`, `"U$D"`, `"12 3"`, `"ＵＳＤ"`, `null`} {
		add("currency "+c, illegal, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(good(), "paymentAmount.currency", c)})
	}
	for _, c := range []string{`"ABC"`, `"ZZZ"`, `"QQQ"`, `"AAA"`, `"XYZ"`} {
		add("unknown currency "+c, wire.CodeCurrencyNotSupport, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(good(), "paymentAmount.currency", c)})
	}
	add("v2 currency EURO", illegal, gatewaytest.Request{Path: pathPayV2, Body: jsonSet(payV2(newID(), 100), "paymentAmount.currency", `"EURO"`)})
	add("v2 unknown currency QQQ", wire.CodeCurrencyNotSupport, gatewaytest.Request{Path: pathPayV2, Body: jsonSet(payV2(newID(), 100), "paymentAmount.currency", `"QQQ"`)})

	// --- over-long fields.
	long := func(n int) string { return `"` + strings.Repeat("x", n) + `"` }
	longURL := func(n int) string {
		return `"https://example.com/` + strings.Repeat("x", n-len("https://example.com/")) + `"`
	}
	for _, tc := range []struct{ path, raw string }{
		{"paymentRequestId", long(65)}, {"paymentRequestId", long(1000)}, {"paymentMethod.paymentMethodType", long(65)},
		{"paymentMethod.paymentMethodId", long(129)}, {"order.referenceOrderId", long(65)},
		{"order.orderDescription", `"` + strings.Repeat("é", 257) + `"`}, {"paymentNotifyUrl", longURL(2049)},
		{"paymentRedirectUrl", longURL(2049)},
	} {
		add(fmt.Sprintf("long %s (%d bytes)", tc.path, len(tc.raw)-2), illegal, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(good(), tc.path, tc.raw)})
	}
	for _, tc := range []struct{ path, raw string }{
		{"paymentRequestId", long(65)}, {"paymentMethod", long(65)}, {"originalMerchantOrderId", long(256)},
		{"originalMerchantStoreId", long(256)}, {"paymentNotifyUrl", longURL(2049)},
	} {
		add(fmt.Sprintf("v2 long %s", tc.path), illegal, gatewaytest.Request{Path: pathPayV2, Body: jsonSet(payV2(newID(), 100), tc.path, tc.raw)})
	}
	refundBody := func() string {
		return fmt.Sprintf(`{"refundRequestId":%q,"paymentId":%q,"refundAmount":{"currency":"USD","value":"10"}}`, newID(), sd.okID)
	}
	add("inquiry long paymentId", illegal, gatewaytest.Request{Path: pathInquiryV1, Body: `{"paymentId":` + long(65) + `}`})
	add("inquiry long paymentRequestId", illegal, gatewaytest.Request{Path: pathInquiryV1, Body: `{"paymentRequestId":` + long(65) + `}`})
	add("cancel long paymentId", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/cancel", Body: `{"paymentId":` + long(65) + `}`})
	add("inquiryRefund long refundId", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":` + long(65) + `}`})
	for _, tc := range []struct{ path, raw string }{
		{"refundRequestId", long(65)}, {"refundReason", long(257)}, {"referenceRefundId", long(65)},
		{"refundNotifyUrl", longURL(1025)}, {"paymentId", long(65)},
	} {
		add("refund long "+tc.path, illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), tc.path, tc.raw)})
	}

	// --- invalid UTF-8 (raw bytes, not JSON escapes).
	for name, bad := range map[string]string{"latin-1": "caf\xe9", "0xff": "\xff", "overlong": "\xc0\xaf", "surrogate": "\xed\xa0\x80",
		"cut sequence": "\xe2\x82", "continuation alone": "\x80abc"} {
		add("UTF-8 "+name+" in orderDescription", illegal, gatewaytest.Request{Path: pathPayV1, Body: strings.Replace(good(), "coffee", bad, 1)})
	}
	{
		id := newID()
		add("UTF-8 invalid in paymentRequestId", illegal, gatewaytest.Request{Path: pathPayV1, Body: strings.ReplaceAll(payV1(id, 1000), id, id+"\xff")})
		add("UTF-8 invalid in a key", illegal, gatewaytest.Request{Path: pathPayV1, Body: strings.Replace(good(), `"productCode"`, "\"product\xffCode\"", 1)})
		add("UTF-8 invalid in v2 pay", illegal, gatewaytest.Request{Path: pathPayV2, Body: strings.Replace(payV2(newID(), 100), "ALIPAY_CN", "ALIPAY\xfe", 1)})
		add("UTF-8 invalid in inquiry", illegal, gatewaytest.Request{Path: pathInquiryV1, Body: "{\"paymentRequestId\":\"SEED_OK\xff\"}"})
		add("UTF-8 invalid in refund", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: strings.Replace(refundBody(), `"USD"`, "\"US\xc3\"", 1)})
	}

	// --- missing fields and values out of their sets.
	for _, tc := range []struct{ path, raw string }{
		{"productCode", del}, {"productCode", `""`}, {"productCode", `"AGREEMENT_PAYMENT"`}, {"productCode", `"in_store_payment"`},
		{"paymentRequestId", del}, {"paymentRequestId", `""`}, {"paymentAmount", del}, {"paymentAmount.currency", del},
		{"paymentAmount.value", del}, {"paymentMethod", del}, {"paymentMethod.paymentMethodType", del},
		{"paymentMethod.paymentMethodId", del}, {"order", del}, {"order", `null`}, {"paymentFactor", del},
		{"paymentFactor.inStorePaymentScenario", del}, {"paymentFactor.inStorePaymentScenario", `"QRCode"`},
		{"paymentNotifyUrl", `"ftp://example.com/x"`}, {"paymentNotifyUrl", `"not a url"`}, {"paymentNotifyUrl", `"http://"`},
		{"paymentRedirectUrl", `"javascript:alert(1)"`}, {"paymentExpiryTime", `"2001-01-01T00:00:00Z"`},
		{"paymentExpiryTime", `"tomorrow"`},
	} {
		name := tc.path + "=" + tc.raw
		if tc.raw == del {
			name = "no " + tc.path
		}
		add("field "+name, illegal, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(good(), tc.path, tc.raw)})
	}
	add("v2 request id with a dash", illegal, gatewaytest.Request{Path: pathPayV2, Body: payV2("BAD-"+newID(), 100)})
	add("v2 no paymentAmount", illegal, gatewaytest.Request{Path: pathPayV2, Body: jsonSet(payV2(newID(), 100), "paymentAmount", del)})
	add("v2 no paymentMethod", illegal, gatewaytest.Request{Path: pathPayV2, Body: jsonSet(payV2(newID(), 100), "paymentMethod", del)})
	add("v2 no paymentRequestId", illegal, gatewaytest.Request{Path: pathPayV2, Body: jsonSet(payV2(newID(), 100), "paymentRequestId", del)})
	add("inquiry with no ids", illegal, gatewaytest.Request{Path: pathInquiryV1, Body: `{}`})
	add("v2 inquiry with no ids", illegal, gatewaytest.Request{Path: "/openapi/v2/payments/inquiryPayment", Body: `{}`})
	add("cancel with no ids", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/cancel", Body: `{}`})
	add("refund with no paymentId", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), "paymentId", del)})
	add("refund with no refundRequestId", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), "refundRequestId", del)})
	add("refund with no amount", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), "refundAmount", del)})
	add("inquiryRefund with no ids", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{}`})

	// --- v1 and v2 shapes crossed.
	add("v1 pay body on the v2 path", illegal, gatewaytest.Request{Path: pathPayV2, Body: good()})
	add("v2 pay body on the v1 path", illegal, gatewaytest.Request{Path: pathPayV1, Body: payV2(newID(), 100)})
	add("v2 pay body on the sandbox path", illegal, gatewaytest.Request{Path: "/ams/sandbox/api/v1/payments/pay", Body: payV2(newID(), 100)})
	add("inquiry body on the pay path", illegal, gatewaytest.Request{Path: pathPayV1, Body: `{"paymentId":"` + sd.okID + `"}`})
	add("pay body on the inquiry path (unknown request id)", notExist, gatewaytest.Request{Path: pathInquiryV1, Body: good()})
	add("v2 refund body with a v1 string amount and a dash id", illegal, gatewaytest.Request{Path: "/openapi/v2/payments/refund",
		Body: fmt.Sprintf(`{"refundRequestId":"R-%s","paymentId":%q,"refundAmount":{"currency":"USD","value":"10"}}`, newID(), sd.v2ID)})

	// --- well-formed, but refused by the state of the store.
	add("inquiry unknown paymentId", notExist, gatewaytest.Request{Path: pathInquiryV1, Body: `{"paymentId":"20990101000000000000000000000000"}`})
	add("inquiry unknown paymentRequestId", notExist, gatewaytest.Request{Path: pathInquiryV1, Body: `{"paymentRequestId":"NEVER_SENT"}`})
	add("v2 inquiry unknown paymentId", notExist, gatewaytest.Request{Path: "/openapi/v2/payments/inquiryPayment", Body: `{"paymentId":"NOPE"}`})
	add("cancel unknown payment", notExist, gatewaytest.Request{Path: "/ams/api/v1/payments/cancel", Body: `{"paymentId":"NOPE"}`})
	add("refund unknown payment", notExist, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), "paymentId", `"NOPE"`)})
	add("inquiryRefund unknown", notExist, gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":"NOPE"}`})
	asOther := func(path, body string) gatewaytest.Request {
		return gatewaytest.Request{Path: path, Body: body, ClientID: ptr("OTHER_SHOP"), Sign: func(c []byte) string {
			sig, _ := wire.Sign(other, c)
			return "algorithm=RSA256,keyVersion=1,signature=" + sig
		}}
	}
	add("inquiry of another client's payment", notExist, asOther(pathInquiryV1, `{"paymentId":"`+sd.okID+`"}`))
	add("inquiry of another client's request id", notExist, asOther(pathInquiryV1, `{"paymentRequestId":"SEED_OK"}`))
	add("cancel of another client's payment", notExist, asOther("/ams/api/v1/payments/cancel", `{"paymentId":"`+sd.okID+`"}`))
	add("refund of another client's payment", notExist, asOther("/ams/api/v1/payments/refund", refundBody()))
	add("inquiryRefund of another client's refund", notExist, asOther("/ams/api/v1/payments/inquiryRefund", `{"refundId":"`+sd.refundID+`"}`))
	add("refund of a FAIL payment", wire.CodeOrderStatusInvalid, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), "paymentId", `"`+sd.failID+`"`)})
	add("cancel of a FAIL payment", wire.CodeOrderStatusInvalid, gatewaytest.Request{Path: "/ams/api/v1/payments/cancel", Body: `{"paymentId":"` + sd.failID + `"}`})
	add("refund over the refundable amount", wire.CodeRefundAmountExceed, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), "refundAmount.value", `"4001"`)})
	add("refund in another currency", illegal, gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Body: jsonSet(refundBody(), "refundAmount.currency", `"EUR"`)})
	add("refund replayed with another amount", repeatReq, gatewaytest.Request{Path: "/ams/api/v1/payments/refund",
		Body: fmt.Sprintf(`{"refundRequestId":"SEED_REFUND","paymentId":%q,"refundAmount":{"currency":"USD","value":"999"}}`, sd.okID)})
	add("pay replayed with another amount", repeatReq, gatewaytest.Request{Path: pathPayV1, Body: payV1("SEED_OK", 5001)})
	add("pay replayed with another currency", repeatReq, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(payV1("SEED_OK", 5000), "paymentAmount.currency", `"EUR"`)})
	add("pay replayed with another method id", repeatReq, gatewaytest.Request{Path: pathPayV1, Body: jsonSet(payV1("SEED_OK", 5000), "paymentMethod.paymentMethodId", `"281099999999"`)})
	add("v2 pay replayed with another amount", repeatReq, gatewaytest.Request{Path: pathPayV2, Body: payV2("SEED_V2", 3001)})
	add("pay replayed of a FAIL payment", wire.CodeUserBalanceNotEnough, gatewaytest.Request{Path: pathPayV1, Body: payV1("SEED_FAIL", 9906)})
	return cs
}

// del, as the raw value of jsonSet, deletes the field.
const del = "\x00delete"

// jsonSet returns body (a JSON object) with the field at the dotted path
// set to the raw JSON value, or deleted when raw is del. An empty path
// only re-encodes the object (keys sorted).
func jsonSet(body, path, raw string) string {
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		panic(fmt.Sprintf("jsonSet: %v", err))
	}
	if path != "" {
		keys := strings.Split(path, ".")
		obj := m
		for _, k := range keys[:len(keys)-1] {
			next, ok := obj[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				obj[k] = next
			}
			obj = next
		}
		last := keys[len(keys)-1]
		if raw == del {
			delete(obj, last)
		} else {
			obj[last] = json.RawMessage(raw)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic(fmt.Sprintf("jsonSet %s=%s: %v", path, raw, err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
