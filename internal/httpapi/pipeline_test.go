package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// TestPipelineRefusals checks every refusal of the pipeline: the exact
// result code, a valid response signature (checked by do), and a store left
// exactly as it was.
func TestPipelineRefusals(t *testing.T) {
	h := newHarness(t, withMaxBody(4096), withClockSkew(5*time.Minute))
	good := payBody("REQ_PIPELINE", 100)
	cases := []struct {
		name     string
		r        req
		code     string
		contains string
	}{
		{"ErrMethod", req{method: "GET", path: pathPay}, wire.CodeMethodNotSupported, "GET"},
		{"ErrMethodPut", req{method: "PUT", path: pathPay, body: good}, wire.CodeMethodNotSupported, "PUT"},
		{"ErrPath", req{path: "/ams/api/v1/payments/nope", body: good}, wire.CodeNoInterfaceDef, "/ams/api/v1/payments/nope"},
		{"ErrPathV3", req{path: "/openapi/v3/payments/pay", body: good}, wire.CodeNoInterfaceDef, "/openapi/v3"},
		{"ErrBodyTooLarge", req{path: pathPay, body: `{"x":"` + strings.Repeat("a", 5000) + `"}`}, wire.CodeParamIllegal, "exceeds 4096 bytes"},
		{"ErrContentTypeMissing", req{path: pathPay, body: good, header: map[string]string{"Content-Type": ""}}, wire.CodeMediaTypeNotAcceptable, "Content-Type"},
		{"ErrContentTypeHTML", req{path: pathPay, body: good, header: map[string]string{"Content-Type": "text/html"}}, wire.CodeMediaTypeNotAcceptable, "text/html"},
		{"ErrContentTypePlainUnencrypted", req{path: pathPay, body: good, header: map[string]string{"Content-Type": "text/plain"}}, wire.CodeMediaTypeNotAcceptable, "text/plain"},
		{"ErrCharset", req{path: pathPay, body: good, header: map[string]string{"Content-Type": "application/json; charset=ISO-8859-1"}}, wire.CodeMediaTypeNotAcceptable, "charset"},
		{"ErrClientMissing", req{path: pathPay, body: good, clientID: ptr("")}, wire.CodeInvalidClient, "Client-Id"},
		{"ErrClientUnknown", req{path: pathPay, body: good, clientID: ptr("SOMEONE_ELSE")}, wire.CodeInvalidClient, "SOMEONE_ELSE"},
		{"ErrTimeMissing", req{path: pathPay, body: good, time: ptr("")}, wire.CodeParamIllegal, "Request-Time"},
		{"ErrTimeGarbage", req{path: pathPay, body: good, time: ptr("yesterday")}, wire.CodeParamIllegal, "Request-Time"},
		{"ErrTimeSkew", req{path: pathPay, body: good, time: ptr("1600000000000")}, wire.CodeParamIllegal, "away from the gateway clock"},
		{"ErrSignatureMissing", req{path: pathPay, body: good, sigHdr: ptr("")}, wire.CodeInvalidSignature, "missing"},
		{"ErrSignatureMalformed", req{path: pathPay, body: good, sigHdr: ptr("algorithm=RSA256,keyVersion=1")}, wire.CodeInvalidSignature, "signature="},
		{"ErrAlgorithm", req{path: pathPay, body: good, sigHdr: ptr("algorithm=ECC224,keyVersion=1,signature=abc")}, wire.CodeInvalidSignature, "ECC224"},
		{"ErrKeyVersion", req{path: pathPay, body: good, sign: func(c []byte) string {
			sig, _ := wire.Sign(readKey(t, "merchant2-test-only.pem"), c)
			return "algorithm=RSA256,keyVersion=7,signature=" + sig
		}}, wire.CodeKeyNotFound, "keyVersion 7"},
		{"ErrSignatureEncoding", req{path: pathPay, body: good, sigHdr: ptr("algorithm=RSA256,keyVersion=1,signature=%ZZ")}, wire.CodeInvalidSignature, "URL-encoded base64"},
		{"ErrSignatureWrongKey", req{path: pathPay, body: good, sign: func(c []byte) string {
			sig, _ := wire.Sign(readKey(t, "merchant2-test-only.pem"), c)
			return "algorithm=RSA256,keyVersion=1,signature=" + sig
		}}, wire.CodeInvalidSignature, "does not verify"},
		{"ErrEncryptHeader", req{path: pathPay, body: good, header: map[string]string{"Encrypt": "algorithm=RSA_AES"}}, wire.CodeParamIllegal, "Encrypt"},
		{"ErrEncryptAlgorithm", req{path: pathPay, body: good, header: map[string]string{"Encrypt": "algorithm=XOR,symmetricKey=abc"}}, wire.CodeParamIllegal, "XOR"},
		{"ErrEncryptBody", req{path: pathPay, body: good, header: map[string]string{"Encrypt": "algorithm=RSA_AES,symmetricKey=abcd"}}, wire.CodeParamIllegal, "decrypt"},
		{"ErrJSONBroken", req{path: pathPay, body: `{"productCode":`}, wire.CodeParamIllegal, "not valid JSON"},
		{"ErrJSONEmpty", req{path: pathPay, body: ``}, wire.CodeParamIllegal, "empty"},
		{"ErrJSONArray", req{path: pathPay, body: `[1,2]`}, wire.CodeParamIllegal, "JSON object"},
		{"ErrWrongType", req{path: pathPay, body: strings.Replace(good, `"paymentRequestId":"REQ_PIPELINE"`, `"paymentRequestId":true`, 1)}, wire.CodeParamIllegal, "paymentRequestId"},
		{"ErrIDFraction", req{path: pathPay, body: strings.Replace(good, `"paymentRequestId":"REQ_PIPELINE"`, `"paymentRequestId":12.5`, 1)}, wire.CodeParamIllegal, "paymentRequestId"},
		{"ErrIDExponent", req{path: pathPay, body: strings.Replace(good, `"paymentRequestId":"REQ_PIPELINE"`, `"paymentRequestId":1e3`, 1)}, wire.CodeParamIllegal, "paymentRequestId"},
		{"ErrNotIDNumber", req{path: pathPay, body: strings.Replace(good, `"productCode":"IN_STORE_PAYMENT"`, `"productCode":12`, 1)}, wire.CodeParamIllegal, "productCode"},
		{"ErrAmountType", req{path: pathPay, body: strings.Replace(good, `"value":"100"`, `"value":true`, 1)}, wire.CodeParamIllegal, "paymentAmount.value"},
		{"ErrMissingField", req{path: pathPay, body: strings.Replace(good, `"productCode":"IN_STORE_PAYMENT",`, ``, 1)}, wire.CodeParamIllegal, "productCode"},
		{"ErrInvalidUTF8", req{path: pathPay, body: strings.Replace(good, "coffee", "caf\xff", 1)}, wire.CodeParamIllegal, "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := h.dump()
			rep := h.do(t, c.r)
			if rep.result.Code != c.code || rep.result.Status != wire.StatusFail {
				t.Fatalf("result = %v, want F %s", rep.result, c.code)
			}
			if !strings.Contains(rep.result.Message, c.contains) {
				t.Errorf("resultMessage = %q, want it to mention %q", rep.result.Message, c.contains)
			}
			if len(rep.result.Message) > 256 {
				t.Errorf("resultMessage is %d bytes, want at most 256", len(rep.result.Message))
			}
			if after := h.dump(); after != before {
				t.Errorf("store changed:\nbefore %s\nafter %s", before, after)
			}
		})
	}
}

// TestInvalidSignatureSaysWhatWasVerified checks the diagnosis in the
// INVALID_SIGNATURE message: path, client, time, body length and hash, key
// version and fingerprint.
func TestInvalidSignatureSaysWhatWasVerified(t *testing.T) {
	h := newHarness(t)
	body := payBody("REQ_DIAG", 100)
	rep := h.do(t, req{path: pathPay, body: body, time: ptr("1704067200000"), sign: func([]byte) string {
		sig, _ := wire.Sign(h.merchant, []byte("something else"))
		return "algorithm=RSA256,keyVersion=1,signature=" + sig
	}})
	sum := sha256.Sum256([]byte(body))
	fp := strings.TrimPrefix(wire.Fingerprint(&h.merchant.PublicKey), "SHA256:")
	for _, want := range []string{"POST " + pathPay, h.clientID, "1704067200000", "body " + strconv.Itoa(len(body)) + " bytes", hex.EncodeToString(sum[:8]), "key versions tried: v1 sha256 " + fp[:12]} {
		if !strings.Contains(rep.result.Message, want) {
			t.Errorf("resultMessage = %q, want it to contain %q", rep.result.Message, want)
		}
	}
}

// TestAcceptedVariants checks inputs the official SDKs send that must pass:
// the Go SDK's doubled Content-Type, the D-Store Accept list, header names in
// any case, spaces in the Signature header, lower-case percent escapes, every
// Request-Time format.
func TestAcceptedVariants(t *testing.T) {
	h := newHarness(t)
	sign := func(mod func(string) string) func([]byte) string {
		return func(c []byte) string {
			sig, _ := wire.Sign(h.merchant, c)
			return mod(sig)
		}
	}
	cases := []struct {
		name string
		r    req
	}{
		{"DStoreAccept", req{header: map[string]string{"Accept": "text/plain,text/xml,text/javascript,text/html,application/json"}}},
		// The official Python SDK's Accept allows no JSON; Antom answers
		// JSON whatever Accept says, and so does the gateway.
		{"PythonAccept", req{header: map[string]string{"Accept": "text/plain,text/xml,text/javascript,text/html"}}},
		{"ImageAccept", req{header: map[string]string{"Accept": "image/png"}}},
		{"SpacedSignature", req{sign: sign(func(s string) string { return "algorithm=RSA256, keyVersion=1, signature=" + s })}},
		{"ReorderedSignature", req{sign: sign(func(s string) string { return "Signature=" + s + ",KEYVERSION=1,Algorithm=RSA256" })}},
		{"NoKeyVersion", req{sign: sign(func(s string) string { return "algorithm=RSA256,signature=" + s })}},
		{"LowerCaseEscapes", req{sign: sign(func(s string) string {
			return "algorithm=RSA256,keyVersion=1,signature=" + strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(s)
		})}},
		{"EpochMillis", req{time: ptr("1704067200000")}},
		{"EpochNanos", req{time: ptr("1704067200000000000")}},
		{"PythonTime", req{time: ptr("2024-01-01T00:00:00+00:00")}},
		{"PHPTime", req{time: ptr("2024-01-01T00:00:00+0000")}},
		{"DotNetTime", req{time: ptr("2024-01-01T00:00:00.1234567Z")}},
		{"SeedTime", req{time: ptr("2019-04-04T12:08:56.253+05:30")}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			r.path = pathPay
			r.body = payBody("REQ_VARIANT_"+strconv.Itoa(i), 100)
			rep := h.do(t, r)
			if rep.result.Code != wire.CodeSuccess {
				t.Fatalf("result = %v, want S SUCCESS", rep.result)
			}
		})
	}
	t.Run("GoSDKDoubleContentType", func(t *testing.T) {
		// The official Go SDK sends Content-Type twice.
		rep := h.do(t, req{path: pathPay, body: payBody("REQ_GO_SDK", 100), addHeader: map[string]string{"Content-Type": "application/json"}})
		if rep.result.Code != wire.CodeSuccess {
			t.Fatalf("result = %v, want S SUCCESS", rep.result)
		}
	})
}

// TestResponseHeaderNamesLowerCase reads a raw answer off the connection:
// two official SDKs look up signature, response-time and client-id
// case-sensitively, so they must be written in lower case.
func TestResponseHeaderNamesLowerCase(t *testing.T) {
	h := newHarness(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nClient-Id: %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", pathInquiryPayment, h.clientID)
	raw, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	for _, name := range []string{"signature: ", "response-time: ", "client-id: "} {
		if !strings.Contains(head, "\r\n"+name) {
			t.Errorf("raw response head lacks %q:\n%s", name, head)
		}
	}
}

// panicProcessor panics inside the pay call: a bug must still be answered
// with a signed U UNKNOWN_EXCEPTION, never a dropped connection.
type panicProcessor struct{ gateway.Processor }

func (panicProcessor) Authorize(context.Context, *gateway.Payment) (gateway.Decision, error) {
	panic("processor bug")
}

func TestPanicAnswersUnknown(t *testing.T) {
	h := newHarness(t)
	h.svc.Processor = panicProcessor{h.svc.Processor}
	rep := h.do(t, req{path: pathPay, body: payBody("REQ_PANIC", 100)})
	if rep.result.Code != wire.CodeUnknownException || rep.result.Status != wire.StatusUnknown {
		t.Fatalf("result = %v, want U UNKNOWN_EXCEPTION", rep.result)
	}
}

// TestV2RefundAmountIsInteger: omnichannel v2 answers carry amounts as
// integers, like its requests.
func TestV2RefundAmountIsInteger(t *testing.T) {
	h := newHarness(t)
	pay := h.do(t, req{path: "/openapi/v2/payments/pay", body: `{"paymentRequestId":"V2_INT","paymentMethod":"ALIPAY_CN","paymentAmount":{"currency":"USD","value":500}}`})
	var p struct{ PaymentID string }
	json.Unmarshal(pay.body, &p)
	ref := h.do(t, req{path: "/openapi/v2/payments/refund", body: `{"refundRequestId":"V2_INT_R","paymentId":"` + p.PaymentID + `","refundAmount":{"currency":"USD","value":200}}`})
	inq := h.do(t, req{path: "/openapi/v2/payments/inquiryRefund", body: `{"refundRequestId":"V2_INT_R"}`})
	for name, rep := range map[string]*reply{"refund": ref, "inquiryRefund": inq} {
		if !strings.Contains(string(rep.body), `"refundAmount":{"currency":"USD","value":200}`) {
			t.Errorf("v2 %s body = %s, want refundAmount with an integer value", name, rep.body)
		}
	}
}
