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
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// TestPipelineRefusals checks every refusal of the pipeline: the exact
// result code, a valid response signature (checked by do), and a store left
// exactly as it was.
func TestPipelineRefusals(t *testing.T) {
	h := newGateway(t, gatewaytest.WithMaxBody(4096), gatewaytest.WithClockSkew(5*time.Minute))
	good := payBody("REQ_PIPELINE", 100)
	cases := []struct {
		name     string
		r        gatewaytest.Request
		code     string
		contains string
	}{
		{"ErrMethod", gatewaytest.Request{Method: "GET", Path: pathPay}, wire.CodeMethodNotSupported, "GET"},
		{"ErrMethodPut", gatewaytest.Request{Method: "PUT", Path: pathPay, Body: good}, wire.CodeMethodNotSupported, "PUT"},
		{"ErrPath", gatewaytest.Request{Path: "/ams/api/v1/payments/nope", Body: good}, wire.CodeNoInterfaceDef, "/ams/api/v1/payments/nope"},
		{"ErrPathV3", gatewaytest.Request{Path: "/openapi/v3/payments/pay", Body: good}, wire.CodeNoInterfaceDef, "/openapi/v3"},
		{"ErrBodyTooLarge", gatewaytest.Request{Path: pathPay, Body: `{"x":"` + strings.Repeat("a", 5000) + `"}`}, wire.CodeParamIllegal, "exceeds 4096 bytes"},
		{"ErrContentTypeMissing", gatewaytest.Request{Path: pathPay, Body: good, Header: map[string]string{"Content-Type": ""}}, wire.CodeMediaTypeNotAcceptable, "Content-Type"},
		{"ErrContentTypeHTML", gatewaytest.Request{Path: pathPay, Body: good, Header: map[string]string{"Content-Type": "text/html"}}, wire.CodeMediaTypeNotAcceptable, "text/html"},
		{"ErrContentTypePlainUnencrypted", gatewaytest.Request{Path: pathPay, Body: good, Header: map[string]string{"Content-Type": "text/plain"}}, wire.CodeMediaTypeNotAcceptable, "text/plain"},
		{"ErrCharset", gatewaytest.Request{Path: pathPay, Body: good, Header: map[string]string{"Content-Type": "application/json; charset=ISO-8859-1"}}, wire.CodeMediaTypeNotAcceptable, "charset"},
		{"ErrClientMissing", gatewaytest.Request{Path: pathPay, Body: good, ClientID: ptr("")}, wire.CodeInvalidClient, "Client-Id"},
		{"ErrClientUnknown", gatewaytest.Request{Path: pathPay, Body: good, ClientID: ptr("SOMEONE_ELSE")}, wire.CodeInvalidClient, "SOMEONE_ELSE"},
		{"ErrTimeMissing", gatewaytest.Request{Path: pathPay, Body: good, Time: ptr("")}, wire.CodeParamIllegal, "Request-Time"},
		{"ErrTimeGarbage", gatewaytest.Request{Path: pathPay, Body: good, Time: ptr("yesterday")}, wire.CodeParamIllegal, "Request-Time"},
		{"ErrTimeSkew", gatewaytest.Request{Path: pathPay, Body: good, Time: ptr("1600000000000")}, wire.CodeParamIllegal, "away from the gateway clock"},
		{"ErrSignatureMissing", gatewaytest.Request{Path: pathPay, Body: good, Signature: ptr("")}, wire.CodeInvalidSignature, "missing"},
		{"ErrSignatureMalformed", gatewaytest.Request{Path: pathPay, Body: good, Signature: ptr("algorithm=RSA256,keyVersion=1")}, wire.CodeInvalidSignature, "signature="},
		{"ErrAlgorithm", gatewaytest.Request{Path: pathPay, Body: good, Signature: ptr("algorithm=ECC224,keyVersion=1,signature=abc")}, wire.CodeInvalidSignature, "ECC224"},
		{"ErrKeyVersion", gatewaytest.Request{Path: pathPay, Body: good, Sign: func(c []byte) string {
			sig, _ := wire.Sign(gatewaytest.OtherMerchantKey(), c)
			return "algorithm=RSA256,keyVersion=7,signature=" + sig
		}}, wire.CodeKeyNotFound, "keyVersion 7"},
		{"ErrSignatureEncoding", gatewaytest.Request{Path: pathPay, Body: good, Signature: ptr("algorithm=RSA256,keyVersion=1,signature=%ZZ")}, wire.CodeInvalidSignature, "URL-encoded base64"},
		{"ErrSignatureWrongKey", gatewaytest.Request{Path: pathPay, Body: good, Sign: func(c []byte) string {
			sig, _ := wire.Sign(gatewaytest.OtherMerchantKey(), c)
			return "algorithm=RSA256,keyVersion=1,signature=" + sig
		}}, wire.CodeInvalidSignature, "does not verify"},
		{"ErrEncryptHeader", gatewaytest.Request{Path: pathPay, Body: good, Header: map[string]string{"Encrypt": "algorithm=RSA_AES"}}, wire.CodeParamIllegal, "Encrypt"},
		{"ErrEncryptAlgorithm", gatewaytest.Request{Path: pathPay, Body: good, Header: map[string]string{"Encrypt": "algorithm=XOR,symmetricKey=abc"}}, wire.CodeParamIllegal, "XOR"},
		{"ErrEncryptBody", gatewaytest.Request{Path: pathPay, Body: good, Header: map[string]string{"Encrypt": "algorithm=RSA_AES,symmetricKey=abcd"}}, wire.CodeParamIllegal, "decrypt"},
		{"ErrJSONBroken", gatewaytest.Request{Path: pathPay, Body: `{"productCode":`}, wire.CodeParamIllegal, "not valid JSON"},
		{"ErrJSONEmpty", gatewaytest.Request{Path: pathPay, Body: ``}, wire.CodeParamIllegal, "empty"},
		{"ErrJSONArray", gatewaytest.Request{Path: pathPay, Body: `[1,2]`}, wire.CodeParamIllegal, "JSON object"},
		{"ErrWrongType", gatewaytest.Request{Path: pathPay, Body: strings.Replace(good, `"paymentRequestId":"REQ_PIPELINE"`, `"paymentRequestId":true`, 1)}, wire.CodeParamIllegal, "paymentRequestId"},
		{"ErrIDFraction", gatewaytest.Request{Path: pathPay, Body: strings.Replace(good, `"paymentRequestId":"REQ_PIPELINE"`, `"paymentRequestId":12.5`, 1)}, wire.CodeParamIllegal, "paymentRequestId"},
		{"ErrIDExponent", gatewaytest.Request{Path: pathPay, Body: strings.Replace(good, `"paymentRequestId":"REQ_PIPELINE"`, `"paymentRequestId":1e3`, 1)}, wire.CodeParamIllegal, "paymentRequestId"},
		{"ErrNotIDNumber", gatewaytest.Request{Path: pathPay, Body: strings.Replace(good, `"productCode":"IN_STORE_PAYMENT"`, `"productCode":12`, 1)}, wire.CodeParamIllegal, "productCode"},
		{"ErrAmountType", gatewaytest.Request{Path: pathPay, Body: strings.Replace(good, `"value":"100"`, `"value":true`, 1)}, wire.CodeParamIllegal, "paymentAmount.value"},
		{"ErrMissingField", gatewaytest.Request{Path: pathPay, Body: strings.Replace(good, `"productCode":"IN_STORE_PAYMENT",`, ``, 1)}, wire.CodeParamIllegal, "productCode"},
		{"ErrInvalidUTF8", gatewaytest.Request{Path: pathPay, Body: strings.Replace(good, "coffee", "caf\xff", 1)}, wire.CodeParamIllegal, "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := h.Snapshot(t)
			rep := h.Do(t, c.r)
			if rep.Result.Code != c.code || rep.Result.Status != wire.StatusFail {
				t.Fatalf("result = %v, want F %s", rep.Result, c.code)
			}
			if !strings.Contains(rep.Result.Message, c.contains) {
				t.Errorf("resultMessage = %q, want it to mention %q", rep.Result.Message, c.contains)
			}
			if len(rep.Result.Message) > 256 {
				t.Errorf("resultMessage is %d bytes, want at most 256", len(rep.Result.Message))
			}
			h.wantUnchanged(t, "the refusal changed the store", before)
		})
	}
}

// TestInvalidSignatureSaysWhatWasVerified checks the diagnosis in the
// INVALID_SIGNATURE message: path, client, time, body length and hash, key
// version and fingerprint.
func TestInvalidSignatureSaysWhatWasVerified(t *testing.T) {
	h := newGateway(t)
	body := payBody("REQ_DIAG", 100)
	rep := h.Do(t, gatewaytest.Request{Path: pathPay, Body: body, Time: ptr("1704067200000"), Sign: func([]byte) string {
		sig, _ := wire.Sign(h.MerchantKey(), []byte("something else"))
		return "algorithm=RSA256,keyVersion=1,signature=" + sig
	}})
	sum := sha256.Sum256([]byte(body))
	fp := strings.TrimPrefix(wire.Fingerprint(&h.MerchantKey().PublicKey), "SHA256:")
	for _, want := range []string{"POST " + pathPay, h.ClientID(), "1704067200000", "body " + strconv.Itoa(len(body)) + " bytes", hex.EncodeToString(sum[:8]), "key versions tried: v1 sha256 " + fp[:12]} {
		if !strings.Contains(rep.Result.Message, want) {
			t.Errorf("resultMessage = %q, want it to contain %q", rep.Result.Message, want)
		}
	}
}

// TestAcceptedVariants checks inputs the official SDKs send that must pass:
// the Go SDK's doubled Content-Type, the D-Store Accept list, header names in
// any case, spaces in the Signature header, lower-case percent escapes, every
// Request-Time format.
func TestAcceptedVariants(t *testing.T) {
	h := newGateway(t)
	sign := func(mod func(string) string) func([]byte) string {
		return func(c []byte) string {
			sig, _ := wire.Sign(h.MerchantKey(), c)
			return mod(sig)
		}
	}
	cases := []struct {
		name string
		r    gatewaytest.Request
	}{
		{"DStoreAccept", gatewaytest.Request{Header: map[string]string{"Accept": "text/plain,text/xml,text/javascript,text/html,application/json"}}},
		// The official Python SDK's Accept allows no JSON; Antom answers
		// JSON whatever Accept says, and so does the gateway.
		{"PythonAccept", gatewaytest.Request{Header: map[string]string{"Accept": "text/plain,text/xml,text/javascript,text/html"}}},
		{"ImageAccept", gatewaytest.Request{Header: map[string]string{"Accept": "image/png"}}},
		{"SpacedSignature", gatewaytest.Request{Sign: sign(func(s string) string { return "algorithm=RSA256, keyVersion=1, signature=" + s })}},
		{"ReorderedSignature", gatewaytest.Request{Sign: sign(func(s string) string { return "Signature=" + s + ",KEYVERSION=1,Algorithm=RSA256" })}},
		{"NoKeyVersion", gatewaytest.Request{Sign: sign(func(s string) string { return "algorithm=RSA256,signature=" + s })}},
		{"LowerCaseEscapes", gatewaytest.Request{Sign: sign(func(s string) string {
			return "algorithm=RSA256,keyVersion=1,signature=" + strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(s)
		})}},
		{"EpochMillis", gatewaytest.Request{Time: ptr("1704067200000")}},
		{"EpochNanos", gatewaytest.Request{Time: ptr("1704067200000000000")}},
		{"PythonTime", gatewaytest.Request{Time: ptr("2024-01-01T00:00:00+00:00")}},
		{"PHPTime", gatewaytest.Request{Time: ptr("2024-01-01T00:00:00+0000")}},
		{"DotNetTime", gatewaytest.Request{Time: ptr("2024-01-01T00:00:00.1234567Z")}},
		{"SeedTime", gatewaytest.Request{Time: ptr("2019-04-04T12:08:56.253+05:30")}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			r.Path = pathPay
			r.Body = payBody("REQ_VARIANT_"+strconv.Itoa(i), 100)
			rep := h.Do(t, r)
			if rep.Result.Code != wire.CodeSuccess {
				t.Fatalf("result = %v, want S SUCCESS", rep.Result)
			}
		})
	}
	t.Run("GoSDKDoubleContentType", func(t *testing.T) {
		// The official Go SDK sends Content-Type twice.
		rep := h.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("REQ_GO_SDK", 100), AddHeader: [][2]string{{"Content-Type", "application/json"}}})
		if rep.Result.Code != wire.CodeSuccess {
			t.Fatalf("result = %v, want S SUCCESS", rep.Result)
		}
	})
}

// TestResponseHeaderNamesLowerCase reads a raw answer off the connection:
// two official SDKs look up signature, response-time and client-id
// case-sensitively, so they must be written in lower case.
func TestResponseHeaderNamesLowerCase(t *testing.T) {
	h := newGateway(t)
	conn, err := net.Dial("tcp", h.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nClient-Id: %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", pathInquiryPayment, h.ClientID())
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
	h := newGateway(t, gatewaytest.WithProcessor(func(p gateway.Processor) gateway.Processor { return panicProcessor{p} }))
	rep := h.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("REQ_PANIC", 100)})
	if rep.Result.Code != wire.CodeUnknownException || rep.Result.Status != wire.StatusUnknown {
		t.Fatalf("result = %v, want U UNKNOWN_EXCEPTION", rep.Result)
	}
}

// TestV2RefundAmountIsInteger: omnichannel v2 answers carry amounts as
// integers, like its requests.
func TestV2RefundAmountIsInteger(t *testing.T) {
	h := newGateway(t)
	pay := h.Do(t, gatewaytest.Request{Path: "/openapi/v2/payments/pay", Body: `{"paymentRequestId":"V2_INT","paymentMethod":"ALIPAY_CN","paymentAmount":{"currency":"USD","value":500}}`})
	var p struct{ PaymentID string }
	json.Unmarshal(pay.Body, &p)
	ref := h.Do(t, gatewaytest.Request{Path: "/openapi/v2/payments/refund", Body: `{"refundRequestId":"V2_INT_R","paymentId":"` + p.PaymentID + `","refundAmount":{"currency":"USD","value":200}}`})
	inq := h.Do(t, gatewaytest.Request{Path: "/openapi/v2/payments/inquiryRefund", Body: `{"refundRequestId":"V2_INT_R"}`})
	for name, rep := range map[string]*gatewaytest.Reply{"refund": ref, "inquiryRefund": inq} {
		if !strings.Contains(string(rep.Body), `"refundAmount":{"currency":"USD","value":200}`) {
			t.Errorf("v2 %s body = %s, want refundAmount with an integer value", name, rep.Body)
		}
	}
}
