package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"strings"

	"github.com/antomgw/antomgw/wire"
)

const signSynopsis = `antomgw sign --private-key FILE --client-id ID --time TIME --path PATH
                    [--method POST] [--key-version N] [--body-file FILE]`

const signDoc = `Sign a request (or a response or notification) the way Antom does and print
the Signature header value, then a newline:

  algorithm=RSA256,keyVersion=N,signature=<url-encoded base64>

The signed bytes are

  <method> <path>\n<client-id>.<time>.<body>

with every value used exactly as given: --time is the Request-Time (or
Response-Time) header text and is not reformatted, --path is the path of
the URL with its ?query if it has one, and the body is read byte for byte
from --body-file, or from stdin without it. Nothing is trimmed: a trailing
newline in the body is signed too (echo adds one; use printf or a file).
The signature is RSASSA-PKCS1-v1_5 over SHA-256, standard base64,
URL-encoded (+ / = become %2B %2F %3D).

Warnings (a time no Antom sender uses, a path without a leading /) go to
stderr; stdout carries only the header value. The private key is never
printed.

Example:
  antomgw sign --private-key merchant-private.pem --client-id SANDBOX_5X00000000000000 \
      --time 2024-01-01T08:00:00.000+08:00 --path /ams/sandbox/api/v1/payments/pay \
      --body-file pay.json`

func runSign(_ context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, signSynopsis, signDoc)
	keyFile := f.str("private-key", "FILE", "", "RSA private key: PEM (PKCS #8 or PKCS #1) or bare base64 DER")
	clientID := f.str("client-id", "ID", "", "Client-Id header value")
	timeHeader := f.str("time", "TIME", "", "Request-Time (or Response-Time) header value, exactly as sent")
	uri := f.str("path", "PATH", "", "request path, with ?query if any, e.g. /ams/api/v1/payments/pay")
	method := f.str("method", "METHOD", "POST", "HTTP method")
	keyVersion := f.integer("key-version", "N", 1, "keyVersion written into the header")
	bodyFile := f.str("body-file", "FILE", "", "read the body from FILE (default: stdin; \"-\" is stdin too)")
	f.require("private-key", "client-id", "time", "path")
	if err := f.parse(args); err != nil {
		return err
	}
	if *keyVersion < 1 {
		return f.usagef("--key-version must be a positive integer, got %d", *keyVersion)
	}
	if *method == "" {
		return f.usagef("flag --method must not be empty")
	}

	key, err := loadPrivateKey(*keyFile)
	if err != nil {
		return err
	}
	body, err := readBody(e, *bodyFile)
	if err != nil {
		return err
	}
	for _, w := range signWarnings(*method, *uri, *timeHeader) {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	m := wire.Message{Method: *method, URI: *uri, ClientID: *clientID, Time: *timeHeader, Body: body}
	h, err := m.Sign(key, *keyVersion)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, h.String())
	return err
}

// signWarnings returns what looks wrong in the inputs of sign without
// stopping it: the values are signed as given either way.
func signWarnings(method, uri, timeHeader string) []string {
	var w []string
	if method != "POST" {
		w = append(w, fmt.Sprintf("method %q: Antom signs every call as POST", method))
	}
	if !strings.HasPrefix(uri, "/") {
		w = append(w, fmt.Sprintf("path %q does not start with '/': the signed URI is the path only, e.g. /ams/api/v1/payments/pay", uri))
	}
	if _, err := wire.ParseTime(timeHeader); err != nil {
		w = append(w, fmt.Sprintf("time %q is neither epoch milliseconds nor ISO 8601 with an offset; the receiver may reject it", timeHeader))
	}
	return w
}

// loadPrivateKey reads and parses a private key file. Errors name the file
// and say what was found; they never contain key material.
func loadPrivateKey(file string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	key, err := wire.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", file, err)
	}
	return key, nil
}

// loadPublicKey reads and parses a public key file.
func loadPublicKey(file string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	key, err := wire.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", file, err)
	}
	return key, nil
}
