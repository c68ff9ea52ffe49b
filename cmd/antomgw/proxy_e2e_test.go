//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// proxyRun is an "antomgw proxy" running in-process.
type proxyRun struct {
	url            string // http://127.0.0.1:PORT
	stdout, stderr *gatewaytest.Buffer
}

// startProxy runs "antomgw proxy --listen 127.0.0.1:0" with args in-process
// until the test ends, and waits for its listening line.
func startProxy(t *testing.T, args ...string) *proxyRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &proxyRun{stdout: &gatewaytest.Buffer{}, stderr: &gatewaytest.Buffer{}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...), strings.NewReader(""), p.stdout, p.stderr)
	}()
	exited, code := false, 0
	t.Cleanup(func() {
		cancel()
		if !exited {
			code = <-done
		}
		if code != 0 {
			t.Errorf("antomgw proxy exited %d, want 0 after the context ends\nstderr: %s", code, p.stderr)
		}
	})
	listening := regexp.MustCompile(`listening on (http://\S+?),`)
	var m []string
	gatewaytest.WaitFor(30*time.Second, func() bool {
		select {
		case code = <-done:
			exited = true
			return true
		default:
		}
		m = listening.FindStringSubmatch(p.stdout.String())
		return m != nil
	})
	if m == nil {
		t.Fatalf("antomgw proxy did not start (exited %v, code %d)\nstdout: %s\nstderr: %s", exited, code, p.stdout, p.stderr)
	}
	p.url = m[1]
	return p
}

// proxyAnswer is what a plain client (curl -d) gets from the proxy.
type proxyAnswer struct {
	status int
	header http.Header
	body   []byte
	result wire.Result
}

// postPlain posts body to the proxy as "curl -d @pay.json URL" does: no
// signature, curl's default form Content-Type.
func postPlain(t *testing.T, url, body string) proxyAnswer {
	t.Helper()
	resp, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := proxyAnswer{status: resp.StatusCode, header: resp.Header, body: b}
	var r struct {
		Result wire.Result `json:"result"`
	}
	if json.Unmarshal(b, &r) == nil {
		a.result = r.Result
	}
	return a
}

// TestProxyE2E: with antomgw serve and antomgw proxy running, a plain,
// unsigned POST of a pay body to the proxy gets a verified S answer
// (x-antomgw-verified: true), plain and with --encrypt; an answer altered
// on its way back gets x-antomgw-verified: false.
func TestProxyE2E(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "PROXY_SHOP")
	_, gwPEM := e.exportGatewayKey(1)
	gwFile := e.path("gateway.pub")
	if err := os.WriteFile(gwFile, []byte(gwPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--client-id", m.id, "--private-key", m.files[1], "--gateway-public-key", gwFile}

	for _, tc := range []struct {
		name, requestID string
		extra           []string
	}{
		{"Plain", "PROXY_E2E_PLAIN", nil},
		{"Encrypt", "PROXY_E2E_ENC", []string{"--encrypt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			px := startProxy(t, append(append([]string{"--upstream", s.URL}, flags...), tc.extra...)...)
			a := postPlain(t, px.url+e2ePayPath, e2ePayBody(tc.requestID, 450))
			if a.status != http.StatusOK || a.result.Status != wire.StatusSuccess || a.result.Code != "SUCCESS" {
				t.Fatalf("pay through the proxy: HTTP %d, result %v, want 200 S SUCCESS\nbody %s\nproxy stderr: %s\nserver: %s", a.status, a.result, a.body, px.stderr, s.Tail())
			}
			if v := a.header.Get("x-antomgw-verified"); v != "true" {
				t.Fatalf("x-antomgw-verified = %q (%s), want true", v, a.header.Get("x-antomgw-verify-error"))
			}
			if !bytes.Contains(a.body, []byte(tc.requestID)) {
				t.Errorf("body = %s, want the payment %s", a.body, tc.requestID)
			}
			if got, want := a.header.Get("x-antomgw-encrypted") == "true", tc.extra != nil; got != want {
				t.Errorf("x-antomgw-encrypted = %q, want encrypted %v", a.header.Get("x-antomgw-encrypted"), want)
			}
			for _, name := range []string{"Response-Time", "Signature", "Client-Id"} {
				if a.header.Get(name) == "" {
					t.Errorf("the answer has no %s header, want the gateway's", name)
				}
			}
			// The same request again: the same payment, marked as a replay.
			again := postPlain(t, px.url+e2ePayPath, e2ePayBody(tc.requestID, 450))
			if again.header.Get("x-antomgw-verified") != "true" || again.header.Get("x-idempotent-replay") != "true" {
				t.Errorf("repeat: verified %q, x-idempotent-replay %q, want true and true", again.header.Get("x-antomgw-verified"), again.header.Get("x-idempotent-replay"))
			}
			// One log line per exchange.
			if !gatewaytest.WaitFor(10*time.Second, func() bool { return strings.Count(px.stderr.String(), "verified=true") == 2 }) {
				t.Errorf("proxy log = %q, want two lines with verified=true", px.stderr)
			}
			for _, want := range []string{"path=" + e2ePayPath, "status=200", "result_status=S", "result_code=SUCCESS", "duration="} {
				if !strings.Contains(px.stderr.String(), want) {
					t.Errorf("proxy log = %q, want %q", px.stderr, want)
				}
			}
			out := px.stdout.String() + px.stderr.String()
			if strings.Contains(out, "PRIVATE KEY") {
				t.Errorf("the proxy printed a PEM private key")
			}
			if leak := findSecret(out, m.keys[1]); leak != "" {
				t.Errorf("the merchant private key appears in the proxy's output (%s)", leak)
			}
		})
	}

	t.Run("Tampered", func(t *testing.T) {
		// A relay between the proxy and the gateway changes one byte of
		// each answer's body after the gateway signed it.
		relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			req, err := http.NewRequestWithContext(r.Context(), r.Method, s.URL+r.URL.RequestURI(), bytes.NewReader(body))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			req.Header = r.Header.Clone()
			resp, err := s.Client.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			for k, v := range resp.Header {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(resp.StatusCode)
			w.Write(bytes.Replace(b, []byte("PROXY_E2E_TAMPER"), []byte("PROXY_E2E_TAMPEX"), 1))
		}))
		defer relay.Close()
		px := startProxy(t, append([]string{"--upstream", relay.URL}, flags...)...)
		a := postPlain(t, px.url+e2ePayPath, e2ePayBody("PROXY_E2E_TAMPER", 450))
		if a.status != http.StatusOK || !bytes.Contains(a.body, []byte("PROXY_E2E_TAMPEX")) {
			t.Fatalf("HTTP %d, body %s, want 200 and the altered answer passed through", a.status, a.body)
		}
		if v := a.header.Get("x-antomgw-verified"); v != "false" {
			t.Errorf("x-antomgw-verified = %q, want false for an altered answer", v)
		}
		if v := a.header.Get("x-antomgw-verify-error"); !strings.Contains(v, "signature does not match") {
			t.Errorf("x-antomgw-verify-error = %q, want it to say the signature does not match", v)
		}
		if !gatewaytest.WaitFor(10*time.Second, func() bool { return strings.Contains(px.stderr.String(), "verified=false") }) {
			t.Errorf("proxy log = %q, want verified=false", px.stderr)
		}
	})

	t.Run("UpstreamDown", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		downURL := down.URL
		down.Close()
		px := startProxy(t, append([]string{"--upstream", downURL}, flags...)...)
		a := postPlain(t, px.url+e2ePayPath, e2ePayBody("PROXY_E2E_DOWN", 450))
		if a.status != http.StatusBadGateway || a.header.Get("x-antomgw-verified") != "" || !bytes.Contains(a.body, []byte(`"proxyError"`)) {
			t.Errorf("HTTP %d, verified %q, body %s; want 502, no x-antomgw-verified, a proxyError JSON body", a.status, a.header.Get("x-antomgw-verified"), a.body)
		}
	})
}

// TestProxyUsage: bad flags are refused before anything listens.
func TestProxyUsage(t *testing.T) {
	base := []string{"proxy", "--client-id", "X", "--private-key", "nope.pem", "--gateway-public-key", "nope.pub"}
	for _, tc := range []struct {
		name string
		args []string
		say  string
	}{
		{"ErrRemoteListen", []string{"--listen", "0.0.0.0:0"}, "--allow-remote"},
		{"ErrAllAddresses", []string{"--listen", ":8090"}, "not loopback"},
		{"ErrUpstream", []string{"--upstream", "127.0.0.1:8080"}, "--upstream"},
		{"ErrKeyVersion", []string{"--key-version", "0"}, "--key-version"},
		{"ErrTimeout", []string{"--timeout", "0s"}, "--timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", append(append([]string(nil), base...), tc.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.say) {
				t.Errorf("exit %d, stderr %q; want %d and a message containing %q", r.code, r.stderr, exitUsage, tc.say)
			}
		})
	}
	r := runCLI(t, "", "proxy", "--client-id", "X", "--private-key", "nope.pem")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--gateway-public-key") {
		t.Errorf("without --gateway-public-key: exit %d, stderr %q; want a usage error naming it", r.code, r.stderr)
	}
}
