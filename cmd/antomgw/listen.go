package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/wire"
)

var listenDoc = helpText("listen")

func runListen(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --gateway-public-key [N=]FILE ... [--listen ADDR] [--fail-first N] [--forward-to URL]", listenDoc)
	addr := f.str("listen", "ADDR", "127.0.0.1:9000", "address to listen on")
	var gwKeys gatewayKeysFlag
	gwKeys.define(f)
	failFirst := f.integer("fail-first", "N", 0, "answer the first N notifications with HTTP 500")
	forward := f.str("forward-to", "URL", "", "forward verified notifications to this URL and relay its answer")
	privFile := f.str("private-key", "FILE", "", "the merchant private key, to open encrypted notifications (clients with --encrypted)")
	f.require("gateway-public-key")
	if err := f.parse(args); err != nil {
		return err
	}
	keys, err := gwKeys.load()
	if err != nil {
		return err
	}
	var priv *rsa.PrivateKey
	if *privFile != "" {
		if priv, err = loadPrivateKey(*privFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	l := &listener{keys: keys, priv: priv, failFirst: int64(*failFirst), forward: *forward, out: e.stdout,
		client: &http.Client{Timeout: 10 * time.Second}}
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stdout, "listening on http://%s (gateway keys: %s)\n", ln.Addr(), describeKeys(keys))
	return serveUntilDone(ctx, e, "antomgw listen", srv, ln)
}

// listener is the merchant side of notifications, for development.
type listener struct {
	keys      map[int]*rsa.PublicKey // gateway keys by version; 0: version not given
	priv      *rsa.PrivateKey        // opens encrypted notifications; may be nil
	failFirst int64
	forward   string
	client    *http.Client

	seen atomic.Int64
	mu   sync.Mutex // serialises output
	out  io.Writer
}

func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "POST a notification", http.StatusMethodNotAllowed)
		return
	}
	n := l.seen.Add(1)
	clientID, reqTime := r.Header.Get(wire.HeaderClientID), r.Header.Get(wire.HeaderRequestTime)
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	verdict := "signature valid"
	m, sh, err := wire.ReadSigned(r.Header, wire.Notification, r.Method, uri, body)
	if err == nil {
		err = antomgw.VerifyGatewaySignature(l.keys, m, sh)
	}
	if err != nil {
		verdict = "SIGNATURE INVALID: " + err.Error()
	}
	shown := body
	if eh := r.Header.Get(wire.HeaderEncrypt); eh != "" {
		shown = []byte("(encrypted; give --private-key to open it)")
		if h, herr := wire.ParseEncryptHeader(eh); herr == nil && l.priv != nil {
			if plain, derr := wire.DecryptBody(l.priv, h, body); derr == nil {
				shown = plain
			} else {
				shown = []byte("(encrypted; does not open with --private-key: " + derr.Error() + ")")
			}
		}
	}
	l.print(n, r, uri, clientID, reqTime, shown, sh.KeyVersion, verdict)
	switch {
	case err != nil:
		http.Error(w, "signature does not verify", http.StatusUnauthorized)
		l.say("  → answered 401 (not acknowledged)\n")
	case n <= l.failFirst:
		http.Error(w, "failing on purpose (--fail-first)", http.StatusInternalServerError)
		l.say(fmt.Sprintf("  → answered 500 on purpose (%d of --fail-first %d)\n", n, l.failFirst))
	case l.forward != "":
		l.relay(w, r, body)
	default:
		antomgw.WriteNotificationAck(w)
		l.say("  → acknowledged\n")
	}
}

func (l *listener) relay(w http.ResponseWriter, r *http.Request, body []byte) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, l.forward, bytes.NewReader(body))
	if err != nil {
		http.Error(w, "forward: "+err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	resp, err := l.client.Do(req)
	if err != nil {
		http.Error(w, "forward: "+err.Error(), http.StatusBadGateway)
		l.say(fmt.Sprintf("  → forward to %s failed: %v (answered 502)\n", l.forward, err))
		return
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	w.Write(rb)
	l.say(fmt.Sprintf("  → forwarded to %s: HTTP %d %s\n", l.forward, resp.StatusCode, bytes.TrimSpace(rb)))
}

func (l *listener) print(n int64, r *http.Request, uri, clientID, reqTime string, body []byte, keyVersion int, verdict string) {
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "  ", "  ") != nil {
		pretty.Reset()
		pretty.Write(body)
	}
	l.say(fmt.Sprintf("#%d %s POST %s\n  client-id: %s\n  request-time: %s\n  keyVersion: %d, %s\n  %s\n",
		n, time.Now().Format("15:04:05.000"), uri, clientID, reqTime, keyVersion, verdict, pretty.String()))
}

func (l *listener) say(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.out, s)
}

// describeKeys lists gateway keys by version with their fingerprints.
func describeKeys(keys map[int]*rsa.PublicKey) string {
	vs := sortedVersions(keys)
	parts := make([]string, len(vs))
	for i, v := range vs {
		name := fmt.Sprintf("v%d", v)
		if v == 0 {
			name = "any version"
		}
		parts[i] = name + " " + wire.Fingerprint(keys[v])
	}
	return strings.Join(parts, ", ")
}
