package node_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/docs"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// TestOpenAPIServed: GET /openapi.yaml answers the embedded document as
// application/yaml, HEAD its headers alone; another method is the API's
// (a signed refusal), as for any path the API does not serve.
func TestOpenAPIServed(t *testing.T) {
	g := gatewaytest.New(t)
	do := func(method string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, g.URL()+"/openapi.yaml", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	want := docs.OpenAPI()
	if !bytes.HasPrefix(want, []byte("openapi: 3.1")) {
		t.Fatalf("docs.OpenAPI() starts %q, want the OpenAPI 3.1 document", want[:min(len(want), 20)])
	}

	resp, body := do(http.MethodGet)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET: HTTP %d, Content-Type %q; want 200 application/yaml", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, want) {
		t.Errorf("GET: body is %d bytes, not the embedded document (%d bytes)", len(body), len(want))
	}

	resp, body = do(http.MethodHead)
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("HEAD: HTTP %d, %d body bytes, Content-Length %q; want 200, none, %d",
			resp.StatusCode, len(body), resp.Header.Get("Content-Length"), len(want))
	}

	resp, body = do(http.MethodPost)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("signature") == "" || !strings.Contains(string(body), `"resultStatus":"F"`) {
		t.Errorf("POST: HTTP %d, signature %q, body %s; want the API's signed refusal", resp.StatusCode, resp.Header.Get("signature"), body)
	}

	// A copy each call: changing one does not change the next.
	b := docs.OpenAPI()
	b[0] = 'X'
	if docs.OpenAPI()[0] != 'o' {
		t.Error("docs.OpenAPI() returned the shared bytes, not a copy")
	}
}
