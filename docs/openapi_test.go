package docs_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/antomgw/antomgw/docs"
	"github.com/antomgw/antomgw/internal/httpapi"
	"github.com/antomgw/antomgw/wire"
)

// spec is the parsed document and its validator, built once per test
// binary.
type spec struct {
	doc   libopenapi.Document
	model *v3.Document
	v     validator.Validator
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

func loadSpec(tb testing.TB) *spec {
	tb.Helper()
	specOnce.Do(func() {
		doc, err := libopenapi.NewDocument(docs.OpenAPI())
		if err != nil {
			specErr = fmt.Errorf("parse docs/openapi.yaml: %w", err)
			return
		}
		m, err := doc.BuildV3Model()
		if err != nil {
			specErr = fmt.Errorf("build docs/openapi.yaml: %w", err)
			return
		}
		v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
		if len(errs) > 0 {
			specErr = fmt.Errorf("validator: %v", errs)
			return
		}
		specVal = &spec{doc: doc, model: &m.Model, v: v}
	})
	if specErr != nil {
		tb.Fatal(specErr)
	}
	return specVal
}

// describe renders validation errors, with the schema failures under them.
func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s (at %s, schema %s)", f.Reason, f.FieldPath, f.KeywordLocation)
		}
	}
	return b.String()
}

// TestDocumentIsOpenAPI31: docs/openapi.yaml says it is OpenAPI 3.1 and
// validates against the OpenAPI 3.1 schema.
func TestDocumentIsOpenAPI31(t *testing.T) {
	s := loadSpec(t)
	if got := s.doc.GetVersion(); !strings.HasPrefix(got, "3.1") {
		t.Fatalf("openapi = %q, want 3.1.x", got)
	}
	if ok, errs := s.v.ValidateDocument(); !ok {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI 3.1 document:%s", describe(errs))
	}
}

// servedBesides are the paths a node serves besides httpapi's API routes,
// each with the one method the document describes. TestExchanges sends a
// real request to each, so a path dropped from the node fails there.
var servedBesides = map[string]string{
	"/healthz":      "GET",
	"/readyz":       "GET",
	"/metrics":      "GET",
	"/openapi.yaml": "GET",
}

// operations returns "METHOD path" for every operation of the document.
func (s *spec) operations() []string {
	var out []string
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// TestDocumentPaths: the document describes exactly the paths the gateway
// serves: every route of httpapi's table (POST), and the node's other
// paths (GET); nothing else.
func TestDocumentPaths(t *testing.T) {
	s := loadSpec(t)
	var want []string
	for _, p := range httpapi.Paths() {
		want = append(want, "POST "+p)
	}
	for p, m := range servedBesides {
		want = append(want, m+" "+p)
	}
	slices.Sort(want)
	got := s.operations()
	for _, op := range want {
		if !slices.Contains(got, op) {
			t.Errorf("the gateway serves %s; docs/openapi.yaml does not describe it", op)
		}
	}
	for _, op := range got {
		if !slices.Contains(want, op) {
			t.Errorf("docs/openapi.yaml describes %s; the gateway does not serve it", op)
		}
	}
	// Every API operation has the signed request's header parameters.
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		if item.Post == nil {
			continue
		}
		var names []string
		for _, p := range item.Post.Parameters {
			names = append(names, p.In+":"+p.Name)
		}
		for _, h := range []string{"header:Client-Id", "header:Request-Time", "header:Signature", "header:Encrypt"} {
			if !slices.Contains(names, h) {
				t.Errorf("POST %s: no %s parameter (has %v)", path, h, names)
			}
		}
	}
}

// enum returns the enum of a component schema as strings.
func (s *spec) enum(tb testing.TB, name string) []string {
	tb.Helper()
	proxy, ok := s.model.Components.Schemas.Get(name)
	if !ok {
		tb.Fatalf("components.schemas.%s is missing", name)
	}
	var out []string
	for _, n := range proxy.Schema().Enum {
		out = append(out, n.Value)
	}
	slices.Sort(out)
	return out
}

// TestDocumentResultCodes: the document's code lists are wire's table of
// result codes: ResultCode lists every code, UnknownStatusCode the U ones,
// PaymentFailCode the F ones (an operator may fail a payment with any F
// code), and every per-operation code is a known code.
func TestDocumentResultCodes(t *testing.T) {
	s := loadSpec(t)
	var all, unknown, fail []string
	for _, c := range wire.Codes() {
		all = append(all, c.Code)
		switch c.Status {
		case wire.StatusUnknown:
			unknown = append(unknown, c.Code)
		case wire.StatusFail:
			fail = append(fail, c.Code)
		}
	}
	slices.Sort(all)
	slices.Sort(unknown)
	slices.Sort(fail)
	for _, c := range []struct {
		schema string
		want   []string
	}{
		{"ResultCode", all},
		{"UnknownStatusCode", unknown},
		{"PaymentFailCode", fail},
	} {
		if got := s.enum(t, c.schema); !slices.Equal(got, c.want) {
			t.Errorf("components.schemas.%s.enum:\n got %v\nwant %v (wire.Codes)", c.schema, got, c.want)
		}
	}
	for _, name := range []string{"RefusalCode", "RefundFailCode", "CaptureFailCode"} {
		for _, code := range s.enum(t, name) {
			info, ok := wire.LookupCode(code)
			switch {
			case !ok:
				t.Errorf("components.schemas.%s lists %s, which wire does not know", name, code)
			case name != "RefusalCode" && info.Status != wire.StatusFail:
				t.Errorf("components.schemas.%s lists %s, whose status is %s, not F", name, code, info.Status)
			}
		}
	}
}

// TestDocumentValidationFails: the OpenAPI check is not vacuous: a document
// without info.title is refused.
func TestDocumentValidationFails(t *testing.T) {
	broken := strings.Replace(string(docs.OpenAPI()), "\n  title: antomgw API\n", "\n  titel: antomgw API\n", 1)
	if broken == string(docs.OpenAPI()) {
		t.Fatal("docs/openapi.yaml has no info.title line to break")
	}
	doc, err := libopenapi.NewDocument([]byte(broken))
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, _ := v.ValidateDocument(); ok {
		t.Error("a document without info.title validates")
	}
}
