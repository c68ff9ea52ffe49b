package docs_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	yaml "github.com/pb33f/go-yaml"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

var update = flag.Bool("update", false, "regenerate docs/postman/ from docs/openapi.yaml")

// The generated Postman files, relative to this package.
const (
	collectionFile  = "postman/antomgw.postman_collection.json"
	environmentFile = "postman/antomgw.postman_environment.json"
)

// TestPostman keeps docs/postman/ generated from docs/openapi.yaml: it
// fails when the committed files differ from what the document gives, and
// with -update writes them:
//
//	go test ./docs -run TestPostman -update
func TestPostman(t *testing.T) {
	s := loadSpec(t)
	files := map[string][]byte{
		collectionFile:  mustJSON(t, postmanCollection(t, s)),
		environmentFile: mustJSON(t, postmanEnvironment()),
	}
	for name, want := range files {
		if *update {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v; run go test ./docs -run TestPostman -update", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/%s differs from what docs/openapi.yaml gives; run go test ./docs -run TestPostman -update", name)
		}
	}
}

// TestPostmanBodies: every request of the collection is an operation of
// the document, every API operation has at least one, and each body, its
// variables set as the collection's scripts set them, is a valid request.
func TestPostmanBodies(t *testing.T) {
	s := loadSpec(t)
	coll := postmanCollection(t, s)
	seen := map[string]bool{}
	vars := strings.NewReplacer("{{paymentRequestId}}", "PM_1767323045678", "{{refundRequestId}}", "PM_1767323045679",
		"{{captureRequestId}}", "PM_1767323045680", "{{captureId}}", "20260102040000305718264930571826",
		"{{paymentId}}", "20260102030405482913570264819305", "{{refundId}}", "20260102030510305718264930571826",
		"{{baseUrl}}", "http://127.0.0.1:8090", "{{gatewayUrl}}", "http://127.0.0.1:8080")
	for _, folder := range coll.Item {
		for _, it := range folder.Item {
			req, err := http.NewRequest(it.Request.Method, vars.Replace(it.Request.URL.Raw), strings.NewReader(vars.Replace(it.Request.bodyText())))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range it.Request.Header {
				req.Header.Set(h.Key, h.Value)
			}
			if it.Request.Method != http.MethodPost {
				seen[it.Request.Method+" "+req.URL.Path] = true
				continue
			}
			// What the proxy adds.
			req.Header.Set("Client-Id", "MY_SHOP")
			req.Header.Set("Request-Time", "1767323045678")
			req.Header.Set("Signature", "algorithm=RSA256,keyVersion=1,signature=AAAA")
			if ok, errs := s.v.ValidateHttpRequestSync(req); !ok {
				t.Errorf("%s / %s: the body is not a valid request:%s", folder.Name, it.Name, describe(errs))
			}
			seen["POST "+req.URL.Path] = true
		}
	}
	for _, op := range s.operations() {
		if !seen[op] {
			t.Errorf("%s: no request in the Postman collection", op)
		}
	}
}

// TestDocumentExamples: every example in the document is valid for what
// it exemplifies: request bodies, answers, notifications and their
// acknowledgements.
func TestDocumentExamples(t *testing.T) {
	s := loadSpec(t)
	n := 0
	check := func(where string, item *v3.PathItem, pathValue, url string, op *v3.Operation, webhook bool) {
		headers := http.Header{}
		if webhook {
			headers.Set("client-id", "MY_SHOP")
			headers.Set("request-time", "2026-01-02T03:04:10.123+00:00")
			headers.Set("signature", "algorithm=RSA256,keyVersion=1,signature=AAAA%3D")
		} else {
			headers.Set("Client-Id", "MY_SHOP")
			headers.Set("Request-Time", "1767323045678")
			headers.Set("Signature", "algorithm=RSA256,keyVersion=1,signature=AAAA%3D")
		}
		headers.Set("Content-Type", "application/json; charset=UTF-8")
		newRequest := func(body []byte) *http.Request {
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = headers.Clone()
			return req
		}
		var firstBody []byte
		if op.RequestBody != nil {
			mt, ok := op.RequestBody.Content.Get("application/json")
			if !ok {
				t.Fatalf("%s: no application/json request body", where)
			}
			if mt.Examples.Len() == 0 {
				t.Errorf("%s: the request body has no example", where)
			}
			for name, ex := range mt.Examples.FromOldest() {
				body := exampleJSON(t, ex.Value, false)
				if firstBody == nil {
					firstBody = body
				}
				if ok, errs := s.v.ValidateHttpRequestSyncWithPathItem(newRequest(body), item, pathValue); !ok {
					t.Errorf("%s: request example %s is not valid:%s", where, name, describe(errs))
				}
				n++
			}
		}
		r := op.Responses.Codes.GetOrZero("200")
		mt, ok := r.Content.Get("application/json")
		if !ok {
			return
		}
		if !webhook && mt.Examples.Len() == 0 {
			t.Errorf("%s: the answer has no example", where)
		}
		for name, ex := range mt.Examples.FromOldest() {
			h := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
			if !webhook {
				h.Set("signature", "algorithm=RSA256,keyVersion=1,signature=AAAA%3D")
				h.Set("response-time", "2026-01-02T03:04:05.678+00:00")
				h.Set("client-id", "MY_SHOP")
			}
			req := newRequest(firstBody)
			resp := &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(exampleJSON(t, ex.Value, false))), Request: req}
			if ok, errs := s.v.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(req, resp, item, pathValue); !ok {
				t.Errorf("%s: answer example %s is not valid:%s", where, name, describe(errs))
			}
			n++
		}
	}
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		if item.Post != nil {
			check("POST "+path, item, path, "http://127.0.0.1:8080"+path, item.Post, false)
		}
	}
	for name, item := range s.model.Webhooks.FromOldest() {
		check("webhook "+name, item, name, "http://127.0.0.1:9000/notify", item.Post, true)
	}
	if n < 40 {
		t.Errorf("checked %d examples; want every example of the document (at least 40)", n)
	}
}

// --- the generator ----------------------------------------------------------

type postmanInfo struct {
	PostmanID   string `json:"_postman_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Schema      string `json:"schema"`
}

type postmanVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
}

type postmanHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type postmanURL struct {
	Raw  string   `json:"raw"`
	Host []string `json:"host"`
	Path []string `json:"path"`
}

type postmanBody struct {
	Mode    string `json:"mode"`
	Raw     string `json:"raw"`
	Options struct {
		Raw struct {
			Language string `json:"language"`
		} `json:"raw"`
	} `json:"options"`
}

type postmanRequest struct {
	Method      string          `json:"method"`
	Header      []postmanHeader `json:"header"`
	Body        *postmanBody    `json:"body,omitempty"`
	URL         postmanURL      `json:"url"`
	Description string          `json:"description,omitempty"`
}

func (r postmanRequest) bodyText() string {
	if r.Body == nil {
		return ""
	}
	return r.Body.Raw
}

type postmanScript struct {
	Type string   `json:"type"`
	Exec []string `json:"exec"`
}

type postmanEvent struct {
	Listen string        `json:"listen"`
	Script postmanScript `json:"script"`
}

type postmanItem struct {
	Name     string         `json:"name"`
	Event    []postmanEvent `json:"event,omitempty"`
	Request  postmanRequest `json:"request"`
	Response []any          `json:"response"`
}

type postmanFolder struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Item        []postmanItem `json:"item"`
}

type postmanCollectionDoc struct {
	Info     postmanInfo     `json:"info"`
	Item     []postmanFolder `json:"item"`
	Variable []postmanVar    `json:"variable"`
}

type postmanEnvironmentDoc struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Values []struct {
		Key     string `json:"key"`
		Value   string `json:"value"`
		Type    string `json:"type"`
		Enabled bool   `json:"enabled"`
	} `json:"values"`
	Scope string `json:"_postman_variable_scope"`
}

// The environment's addresses: the proxy (for the API) and the gateway
// (for /healthz and the other operations paths).
const (
	proxyURL   = "http://127.0.0.1:8090"
	gatewayURL = "http://127.0.0.1:8080"
)

// signingHeaders are the request headers antomgw proxy writes; the
// collection sends none of them.
var signingHeaders = []string{"Client-Id", "Request-Time", "Signature", "Encrypt"}

// freshIDs are the request ids a create operation's pre-request script
// makes anew, so that each send is a new payment or refund; savedIDs are
// what an answer's test script keeps for the next requests.
var (
	freshIDs = []string{"paymentRequestId", "refundRequestId", "captureRequestId"}
	savedIDs = []string{"paymentId", "refundId", "captureId"}
)

// postmanID is a stable UUID-shaped id derived from name.
func postmanID(name string) string {
	h := sha256.Sum256([]byte("antomgw postman " + name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func postmanEnvironment() postmanEnvironmentDoc {
	env := postmanEnvironmentDoc{ID: postmanID("environment"), Name: "antomgw proxy (127.0.0.1:8090)", Scope: "environment"}
	for _, kv := range [][2]string{{"baseUrl", proxyURL}, {"gatewayUrl", gatewayURL}} {
		env.Values = append(env.Values, struct {
			Key     string `json:"key"`
			Value   string `json:"value"`
			Type    string `json:"type"`
			Enabled bool   `json:"enabled"`
		}{kv[0], kv[1], "default", true})
	}
	return env
}

func postmanCollection(tb testing.TB, s *spec) postmanCollectionDoc {
	tb.Helper()
	coll := postmanCollectionDoc{
		Info: postmanInfo{
			PostmanID: postmanID("collection"),
			Name:      s.model.Info.Title,
			Description: "Generated from docs/openapi.yaml (go test ./docs -run TestPostman -update); do not edit.\n\n" +
				"The API requests go to {{baseUrl}}, antomgw proxy (" + proxyURL + " in the environment), which adds " +
				"Client-Id, Request-Time and Signature and forwards them to the gateway; the operations requests go to " +
				"{{gatewayUrl}}, the gateway itself. The requests that create something (pay, createPaymentSession, refund, " +
				"capture) make a fresh paymentRequestId, refundRequestId or captureRequestId before each send; every answer's " +
				"paymentId, refundId and captureId are kept for the requests after it, so pay → inquiryPayment → refund → " +
				"inquiryRefund runs as a flow.",
			Schema: "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
		},
	}
	for _, k := range append(slices.Clone(freshIDs), savedIDs...) {
		coll.Variable = append(coll.Variable, postmanVar{Key: k, Value: "", Type: "string"})
	}
	folders := map[string]*postmanFolder{}
	var order []string
	for _, tag := range s.model.Tags {
		folders[tag.Name] = &postmanFolder{Name: tag.Name, Description: tag.Description}
		order = append(order, tag.Name)
	}
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			if len(op.Tags) == 0 || folders[op.Tags[0]] == nil {
				tb.Fatalf("%s %s: its first tag %v is not a tag of the document", method, path, op.Tags)
			}
			folder := folders[op.Tags[0]]
			for _, it := range postmanItems(tb, strings.ToUpper(method), path, op) {
				folder.Item = append(folder.Item, it)
			}
		}
	}
	for _, name := range order {
		if len(folders[name].Item) > 0 {
			coll.Item = append(coll.Item, *folders[name])
		}
	}
	return coll
}

// postmanItems returns the requests of one operation: one per example of
// its JSON request body (one without a body for a GET).
func postmanItems(tb testing.TB, method, path string, op *v3.Operation) []postmanItem {
	tb.Helper()
	for _, p := range op.Parameters {
		if p.In == "header" && !slices.Contains(signingHeaders, p.Name) {
			tb.Fatalf("%s %s: header parameter %s is neither a signing header nor generated", method, path, p.Name)
		}
	}
	base := "{{baseUrl}}"
	if method != http.MethodPost {
		base = "{{gatewayUrl}}"
	}
	url := postmanURL{Raw: base + path, Host: []string{base}, Path: strings.Split(strings.TrimPrefix(path, "/"), "/")}
	if method != http.MethodPost {
		return []postmanItem{{Name: op.OperationId, Request: postmanRequest{Method: method, Header: []postmanHeader{}, URL: url,
			Description: op.Summary}, Response: []any{}}}
	}
	mt, ok := op.RequestBody.Content.Get("application/json")
	if !ok {
		tb.Fatalf("%s %s: no application/json request body", method, path)
	}
	schema := mt.Schema.Schema()
	var fresh, saved []string
	for _, k := range freshIDs {
		if slices.Contains(schema.Required, k) {
			fresh = append(fresh, k)
		}
	}
	if r := op.Responses.Codes.GetOrZero("200"); r != nil {
		if rmt, ok := r.Content.Get("application/json"); ok {
			for _, k := range savedIDs {
				if _, ok := rmt.Schema.Schema().Properties.Get(k); ok {
					saved = append(saved, k)
				}
			}
		}
	}
	var events []postmanEvent
	if len(fresh) > 0 {
		exec := []string{"// A new request id for each send: the same id again is a replay of the same " + op.OperationId + "."}
		for _, k := range fresh {
			exec = append(exec, fmt.Sprintf(`pm.collectionVariables.set(%q, "PM_" + Date.now());`, k))
		}
		events = append(events, postmanEvent{Listen: "prerequest", Script: postmanScript{Type: "text/javascript", Exec: exec}})
	}
	exec := []string{
		"const body = pm.response.json();",
		`pm.test("the answer has a result (S, F or U)", () => pm.expect(body.result.resultStatus).to.be.oneOf(["S", "F", "U"]));`,
	}
	for _, k := range saved {
		exec = append(exec, fmt.Sprintf(`if (body.%s) pm.collectionVariables.set(%q, body.%s);`, k, k, k))
	}
	events = append(events, postmanEvent{Listen: "test", Script: postmanScript{Type: "text/javascript", Exec: exec}})

	var items []postmanItem
	for name, ex := range mt.Examples.FromOldest() {
		body := &postmanBody{Mode: "raw", Raw: string(exampleJSON(tb, ex.Value, true))}
		body.Options.Raw.Language = "json"
		items = append(items, postmanItem{
			Name:  op.OperationId + " — " + name,
			Event: events,
			Request: postmanRequest{Method: method,
				Header:      []postmanHeader{{Key: "Content-Type", Value: "application/json; charset=UTF-8"}},
				Body:        body,
				URL:         url,
				Description: op.Summary + ": " + ex.Summary + ".\n\nantomgw proxy adds Client-Id, Request-Time and Signature.",
			},
			Response: []any{},
		})
	}
	if len(items) == 0 {
		tb.Fatalf("%s %s: the request body has no example", method, path)
	}
	return items
}

// exampleJSON renders an example's YAML value as JSON, keys in the
// document's order. With vars, the top-level id fields become the
// collection's variables ({{paymentId}} …).
func exampleJSON(tb testing.TB, n *yaml.Node, vars bool) []byte {
	tb.Helper()
	var b bytes.Buffer
	writeJSON(tb, &b, n, 0, vars)
	b.WriteByte('\n')
	return b.Bytes()
}

var plainNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

func writeJSON(tb testing.TB, b *bytes.Buffer, n *yaml.Node, depth int, vars bool) {
	tb.Helper()
	indent := func(d int) { b.WriteString("\n" + strings.Repeat("  ", d)) }
	switch n.Kind {
	case yaml.DocumentNode:
		writeJSON(tb, b, n.Content[0], depth, vars)
	case yaml.AliasNode:
		writeJSON(tb, b, n.Alias, depth, vars)
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i := 0; i < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			indent(depth + 1)
			k, v := n.Content[i], n.Content[i+1]
			key, _ := json.Marshal(k.Value)
			b.Write(key)
			b.WriteString(": ")
			if vars && depth == 0 && (slices.Contains(freshIDs, k.Value) || slices.Contains(savedIDs, k.Value)) {
				b.WriteString(strconv.Quote("{{" + k.Value + "}}"))
				continue
			}
			writeJSON(tb, b, v, depth+1, vars)
		}
		indent(depth)
		b.WriteByte('}')
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			indent(depth + 1)
			writeJSON(tb, b, e, depth+1, vars)
		}
		indent(depth)
		b.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			b.WriteString("null")
		case "!!bool":
			b.WriteString(strings.ToLower(n.Value))
		case "!!int", "!!float":
			if !plainNumber.MatchString(n.Value) {
				tb.Fatalf("example number %q is not a JSON number", n.Value)
			}
			b.WriteString(n.Value)
		default:
			s, _ := json.Marshal(n.Value)
			b.Write(s)
		}
	default:
		tb.Fatalf("example node of kind %v", n.Kind)
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}
