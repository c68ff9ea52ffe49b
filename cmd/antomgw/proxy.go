package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	merch "github.com/antomgw/antomgw/internal/merchant" // aliased: the tests have a type merchant
)

var proxyDoc = helpText("proxy")

func runProxy(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --client-id ID --private-key FILE --gateway-public-key [N=]FILE ...\n         [--listen ADDR] [--upstream URL] [--encrypt] [flags]", proxyDoc)
	addr := f.str("listen", "ADDR", "127.0.0.1:8090", "address to listen on (loopback unless --allow-remote); port 0 picks a free port")
	upstream := f.str("upstream", "URL", "http://127.0.0.1:8080", "the gateway's base URL (antomgw serve, or any Antom-compatible base URL)")
	clientID := f.str("client-id", "ID", "", "the Client-Id every request is signed as")
	privFile := f.str("private-key", "FILE", "", "the merchant's RSA private key (PEM or bare base64): signs requests, opens encrypted answers")
	keyVersion := f.integer("key-version", "N", 1, "keyVersion of --private-key as registered with the gateway")
	var gwKeys gatewayKeysFlag
	gwKeys.define(f)
	encrypt := f.boolean("encrypt", "encrypt each request body (RSA_AES) for the gateway key")
	var timeout time.Duration
	f.durVar(&timeout, "timeout", "DURATION", merch.DefaultTimeout, "how long to wait for the gateway's answer to one request")
	allowRemote := f.boolean("allow-remote", "allow a non-loopback --listen and any Host header (anyone who reaches the proxy can sign as the merchant)")
	f.require("client-id", "private-key", "gateway-public-key")
	if err := f.parse(args); err != nil {
		return err
	}
	up, err := url.Parse(*upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" || up.RawQuery != "" || up.Fragment != "" || up.User != nil {
		return f.usagef("--upstream %q: want an http or https base URL such as http://127.0.0.1:8080", *upstream)
	}
	if *keyVersion < 1 {
		return f.usagef("--key-version must be a positive integer, got %d", *keyVersion)
	}
	if timeout <= 0 {
		return f.usagef("--timeout must be positive, got %s", timeout)
	}
	if err := merch.CheckListen(*addr, *allowRemote); err != nil {
		return f.usagef("--listen: %s", strings.TrimPrefix(err.Error(), "listen address "))
	}
	priv, err := loadPrivateKey(*privFile)
	if err != nil {
		return err
	}
	keys, err := gwKeys.load()
	if err != nil {
		return err
	}
	p := &merch.Proxy{
		Upstream: up, ClientID: *clientID, PrivateKey: priv, KeyVersion: *keyVersion, GatewayKeys: keys,
		Encrypt: *encrypt, Timeout: timeout, AllowRemote: *allowRemote,
		Log: slog.New(slog.NewTextHandler(e.stderr, nil)),
	}
	if err := p.Check(); err != nil {
		return f.usagef("%s", strings.TrimPrefix(err.Error(), "merchant: "))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := merch.CheckListener(ln, *allowRemote); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	enc := ""
	if *encrypt {
		enc = ", encrypting"
	}
	fmt.Fprintf(e.stdout, "antomgw proxy listening on http://%s, signing as %s for %s%s (gateway keys: %s)\n",
		ln.Addr(), *clientID, up.Redacted(), enc, describeKeys(keys))
	return serveUntilDone(ctx, e, "antomgw proxy", srv, ln)
}

// serveUntilDone serves srv on ln until ctx is done, then lets the
// exchanges in flight finish (an answer may carry a payment's result) for
// a few seconds; name starts the message when some did not.
func serveUntilDone(ctx context.Context, e *env, name string, srv *http.Server, ln net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		fmt.Fprintf(e.stderr, "%s: stopped with exchanges still in flight: %v\n", name, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
