package docs_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/antomgw/antomgw/wire"
)

// recorder is an http.RoundTripper that keeps every request it sends and
// the answer that came back, bodies included, as they went over the wire.
type recorder struct {
	mu   sync.Mutex
	list []*exchange
}

// exchange is one recorded request and its answer.
type exchange struct {
	method, url string
	reqHeader   http.Header
	reqBody     []byte
	status      int
	respHeader  http.Header
	respBody    []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	r.mu.Lock()
	r.list = append(r.list, &exchange{method: req.Method, url: req.URL.String(), reqHeader: req.Header.Clone(), reqBody: body,
		status: resp.StatusCode, respHeader: resp.Header.Clone(), respBody: rb})
	r.mu.Unlock()
	return resp, nil
}

// client returns an HTTP client that sends through r.
func (r *recorder) client() *http.Client { return &http.Client{Transport: r} }

// take returns the exchanges recorded since the last take.
func (r *recorder) take() []*exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.list
	r.list = nil
	return out
}

// request rebuilds the recorded request, with body instead of the one sent
// when it is not nil.
func (x *exchange) request(tb testing.TB, body []byte) *http.Request {
	tb.Helper()
	if body == nil {
		body = x.reqBody
	}
	req, err := http.NewRequest(x.method, x.url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header = x.reqHeader.Clone()
	return req
}

// response rebuilds the recorded answer, with body instead of the one
// received when it is not nil.
func (x *exchange) response(req *http.Request, body []byte) *http.Response {
	if body == nil {
		body = x.respBody
	}
	return &http.Response{StatusCode: x.status, Header: x.respHeader.Clone(), Body: io.NopCloser(bytes.NewReader(body)), Request: req}
}

// checker validates exchanges against the document and keeps what they
// covered.
type checker struct {
	s *spec
	// keys open encrypted bodies: the gateway's key (requests) and the
	// merchant's (answers, notifications).
	gatewayKey, merchantKey *rsa.PrivateKey

	ops      map[string]string                   // "METHOD path" → operationId
	statuses map[string]map[wire.Status]bool     // operationId → result statuses seen
	fields   map[string]map[string]bool          // response schema → top-level fields seen
	replays  int                                 // answers with x-idempotent-replay: true
	plain    map[string]bool                     // operationIds whose decrypted bodies were validated
	errorsOf map[string]bool                     // codes seen in ErrorResponse answers
	schemaOf map[string]map[string]*v3.MediaType // operationId → content type → response media type
}

func newChecker(tb testing.TB, gatewayKey, merchantKey *rsa.PrivateKey) *checker {
	s := loadSpec(tb)
	c := &checker{s: s, gatewayKey: gatewayKey, merchantKey: merchantKey, ops: map[string]string{},
		statuses: map[string]map[wire.Status]bool{}, fields: map[string]map[string]bool{}, plain: map[string]bool{},
		errorsOf: map[string]bool{}, schemaOf: map[string]map[string]*v3.MediaType{}}
	add := func(key string, op *v3.Operation) {
		c.ops[key] = op.OperationId
		c.schemaOf[op.OperationId] = map[string]*v3.MediaType{}
		if op.Responses == nil {
			return
		}
		if r := op.Responses.Codes.GetOrZero("200"); r != nil && r.Content != nil {
			for ct, mt := range r.Content.FromOldest() {
				c.schemaOf[op.OperationId][ct] = mt
			}
		}
	}
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			add(strings.ToUpper(method)+" "+path, op)
		}
	}
	for name, item := range s.model.Webhooks.FromOldest() {
		add("webhook "+name, item.Post)
	}
	return c
}

// wantRequest says whether the document must accept a recorded request:
// valid for what a well-behaved client sends, invalid for the broken
// requests of the error cases.
type wantRequest bool

const (
	validRequest   wantRequest = true
	invalidRequest wantRequest = false
)

// check validates each exchange: the request against the operation of its
// method and path (valid or not, as want says), the answer always. An
// encrypted request and answer are also validated in the clear.
func (c *checker) check(tb testing.TB, want wantRequest, xs []*exchange) {
	tb.Helper()
	if len(xs) == 0 {
		tb.Fatal("no exchange was recorded")
	}
	for _, x := range xs {
		req := x.request(tb, nil)
		op, ok := c.ops[x.method+" "+req.URL.Path]
		if !ok {
			c.checkRefused(tb, x)
			continue
		}
		reqOK, reqErrs := c.s.v.ValidateHttpRequestSync(req)
		switch {
		case want == validRequest && !reqOK:
			tb.Errorf("%s %s: the document refuses the request %s:%s", x.method, req.URL.Path, clip(x.reqBody), describe(reqErrs))
		case want == invalidRequest && reqOK:
			tb.Errorf("%s %s: the document accepts the request %s (headers %v), which the gateway refuses with %s",
				x.method, req.URL.Path, clip(x.reqBody), x.reqHeader, clip(x.respBody))
		}
		req = x.request(tb, nil)
		if ok, errs := c.s.v.ValidateHttpResponse(req, x.response(req, nil)); !ok {
			tb.Errorf("%s %s: the answer does not match the document: %s%s", x.method, req.URL.Path, clip(x.respBody), describe(errs))
		}
		var plainReq, plainResp []byte
		if h := x.reqHeader.Get("Encrypt"); h != "" && want == validRequest {
			plainReq = open(tb, c.gatewayKey, h, x.reqBody)
		}
		if h := x.respHeader.Get("Encrypt"); h != "" {
			plainResp = open(tb, c.merchantKey, h, x.respBody)
		}
		if plainReq != nil {
			req := x.request(tb, plainReq)
			req.Header.Set("Content-Type", "application/json; charset=UTF-8")
			if ok, errs := c.s.v.ValidateHttpRequestSync(req); !ok {
				tb.Errorf("%s %s: the decrypted request %s does not match the document:%s", x.method, req.URL.Path, clip(plainReq), describe(errs))
			}
		}
		body := x.respBody
		if plainResp != nil {
			body = plainResp
			req := x.request(tb, nil)
			resp := x.response(req, plainResp)
			resp.Header.Set("Content-Type", "application/json; charset=UTF-8")
			if ok, errs := c.s.v.ValidateHttpResponse(req, resp); !ok {
				tb.Errorf("%s %s: the decrypted answer %s does not match the document:%s", x.method, req.URL.Path, clip(plainResp), describe(errs))
			}
			if plainReq != nil {
				c.plain[op] = true
			}
		}
		if x.respHeader.Get("x-idempotent-replay") == "true" {
			c.replays++
		}
		c.cover(tb, op, x.respHeader.Get("Content-Type"), plainResp != nil, body)
	}
}

// cover notes the result status and the top-level fields of an answer.
func (c *checker) cover(tb testing.TB, op, contentType string, decrypted bool, body []byte) {
	tb.Helper()
	if c.statuses[op] == nil {
		c.statuses[op] = map[wire.Status]bool{}
	}
	mediaType := contentType
	if decrypted {
		mediaType = "application/json"
	}
	mediaType, _, _ = strings.Cut(mediaType, ";")
	if mediaType != "application/json" {
		c.statuses[op][""] = true
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		tb.Errorf("%s: answer %s: %v", op, clip(body), err)
		return
	}
	var res struct {
		Result wire.Result `json:"result"`
	}
	json.Unmarshal(body, &res)
	c.statuses[op][res.Result.Status] = true
	if mt := c.schemaOf[op]["application/json"]; mt != nil && mt.Schema != nil {
		ref := mt.Schema.GetReference()
		if c.fields[ref] == nil {
			c.fields[ref] = map[string]bool{}
		}
		for k := range fields {
			c.fields[ref][k] = true
		}
	}
}

// checkRefused validates an answer to a method or path no operation
// describes against the ErrorResponse schema.
func (c *checker) checkRefused(tb testing.TB, x *exchange) {
	tb.Helper()
	proxy, ok := c.s.model.Components.Schemas.Get("ErrorResponse")
	if !ok {
		tb.Fatal("components.schemas.ErrorResponse is missing")
	}
	sv := schema_validation.NewSchemaValidator(config.WithFormatAssertions())
	if ok, errs := sv.ValidateSchemaBytes(proxy.Schema(), x.respBody); !ok {
		tb.Errorf("%s %s: the answer %s is not an ErrorResponse:%s", x.method, x.url, clip(x.respBody), describe(errs))
	}
	var res struct {
		Result wire.Result `json:"result"`
	}
	json.Unmarshal(x.respBody, &res)
	c.errorsOf[res.Result.Code] = true
}

// notification is one notification a receiver got, and its answer.
type notification struct {
	path     string
	header   http.Header
	body     []byte
	ackCode  int
	ackHead  http.Header
	ackBody  []byte
	received string // the receiver's URL
}

// receiver is a merchant's notification endpoint that keeps what it gets
// and acknowledges it.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	list []*notification
}

func newReceiver(tb testing.TB) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		io.WriteString(rec, `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`)
		r.mu.Lock()
		r.list = append(r.list, &notification{path: req.URL.Path, header: req.Header.Clone(), body: body,
			ackCode: rec.Code, ackHead: rec.Header().Clone(), ackBody: rec.Body.Bytes(), received: r.srv.URL})
		r.mu.Unlock()
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) take() []*notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.list
	r.list = nil
	return out
}

// checkNotifications validates each notification against the webhook its
// notifyType names (the const of each webhook's notifyType property, as a
// merchant dispatches them), and the acknowledgement against the webhook's
// answer. An encrypted one is also validated in the clear, and dispatched
// by its plaintext.
func (c *checker) checkNotifications(tb testing.TB, ns []*notification) {
	tb.Helper()
	if len(ns) == 0 {
		tb.Fatal("no notification arrived")
	}
	byType := map[string]string{}
	for name, item := range c.s.model.Webhooks.FromOldest() {
		mt, ok := item.Post.RequestBody.Content.Get("application/json")
		if !ok {
			tb.Fatalf("webhook %s has no application/json body", name)
		}
		nt, ok := mt.Schema.Schema().Properties.Get("notifyType")
		if !ok || nt.Schema().Const == nil {
			tb.Fatalf("webhook %s: its body has no notifyType const", name)
		}
		byType[nt.Schema().Const.Value] = name
	}
	for _, n := range ns {
		plain := n.body
		if h := n.header.Get("Encrypt"); h != "" {
			plain = open(tb, c.merchantKey, h, n.body)
		}
		var probe struct {
			NotifyType string `json:"notifyType"`
		}
		json.Unmarshal(plain, &probe)
		name := byType[probe.NotifyType]
		item := c.s.model.Webhooks.GetOrZero(name)
		if item == nil {
			tb.Fatalf("a notification with notifyType %q came; no webhook is documented for it: %s", probe.NotifyType, clip(plain))
		}
		build := func(body []byte) *http.Request {
			req, err := http.NewRequest(http.MethodPost, n.received+n.path, bytes.NewReader(body))
			if err != nil {
				tb.Fatal(err)
			}
			req.Header = n.header.Clone()
			return req
		}
		if ok, errs := c.s.v.ValidateHttpRequestSyncWithPathItem(build(n.body), item, name); !ok {
			tb.Errorf("%s: the notification %s (headers %v) does not match the document:%s", name, clip(n.body), n.header, describe(errs))
		}
		req := build(n.body)
		resp := &http.Response{StatusCode: n.ackCode, Header: n.ackHead, Body: io.NopCloser(bytes.NewReader(n.ackBody)), Request: req}
		if ok, errs := c.s.v.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(req, resp, item, name); !ok {
			tb.Errorf("%s: the acknowledgement %s does not match the document:%s", name, n.ackBody, describe(errs))
		}
		body := n.body
		if n.header.Get("Encrypt") != "" {
			body = plain
			req := build(body)
			req.Header.Set("Content-Type", "application/json; charset=UTF-8")
			if ok, errs := c.s.v.ValidateHttpRequestSyncWithPathItem(req, item, name); !ok {
				tb.Errorf("%s: the decrypted notification %s does not match the document:%s", name, clip(body), describe(errs))
			}
			c.plain[name] = true
		}
		c.cover(tb, name, "application/json", true, body)
		if mt, ok := item.Post.RequestBody.Content.Get("application/json"); ok {
			ref := mt.Schema.GetReference()
			var fields map[string]json.RawMessage
			json.Unmarshal(body, &fields)
			if c.fields[ref] == nil {
				c.fields[ref] = map[string]bool{}
			}
			for k := range fields {
				c.fields[ref][k] = true
			}
		}
	}
}

// open decrypts an encrypted body with key.
func open(tb testing.TB, key *rsa.PrivateKey, header string, body []byte) []byte {
	tb.Helper()
	eh, err := wire.ParseEncryptHeader(header)
	if err != nil {
		tb.Fatalf("encrypt header %q: %v", header, err)
	}
	plain, err := wire.DecryptBody(key, eh, body)
	if err != nil {
		tb.Fatalf("decrypt %s: %v", clip(body), err)
	}
	return plain
}

func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// missing returns the documented top-level properties of a schema that no
// real body carried.
func (c *checker) missing(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for ref, seen := range c.fields {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		proxy, ok := c.s.model.Components.Schemas.Get(name)
		if !ok {
			continue
		}
		for prop := range proxy.Schema().Properties.KeysFromOldest() {
			if !seen[prop] {
				out = append(out, fmt.Sprintf("%s.%s", name, prop))
			}
		}
	}
	slices.Sort(out)
	return out
}
