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

var signDoc = helpText("sign")

func runSign(_ context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, signSynopsis, signDoc)
	keyFile := f.str("private-key", "FILE", "", "RSA private key: PEM (PKCS #8 or PKCS #1) or bare base64 DER")
	f.require("private-key")
	mf := addMessageFlags(f)
	mf.addMethod(f)
	keyVersion := f.integer("key-version", "N", 1, "keyVersion written into the header")
	mf.addBodyFile(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *keyVersion < 1 {
		return f.usagef("--key-version must be a positive integer, got %d", *keyVersion)
	}
	m, err := mf.message(e, f)
	if err != nil {
		return err
	}
	key, err := loadPrivateKey(*keyFile)
	if err != nil {
		return err
	}
	for _, w := range signWarnings(m.Method, m.URI, m.Time) {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	h, err := m.Sign(key, *keyVersion)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, h.String())
	return err
}

// messageFlags are the flags sign and verify take for the pieces of a
// signed message.
type messageFlags struct {
	clientID, timeHeader, uri, method, bodyFile *string
}

func addMessageFlags(f *flagSet) *messageFlags {
	mf := &messageFlags{
		clientID:   f.str("client-id", "ID", "", "Client-Id header value"),
		timeHeader: f.str("time", "TIME", "", "Request-Time (or Response-Time) header value, exactly as sent"),
		uri:        f.str("path", "PATH", "", "request path, with ?query if any, e.g. /ams/api/v1/payments/pay"),
	}
	f.require("client-id", "time", "path")
	return mf
}

// addMethod and addBodyFile add --method and --body-file where the command
// lists them.
func (mf *messageFlags) addMethod(f *flagSet) {
	mf.method = f.str("method", "METHOD", "POST", "HTTP method")
}

func (mf *messageFlags) addBodyFile(f *flagSet) {
	mf.bodyFile = f.str("body-file", "FILE", "", "read the body from FILE (default: stdin; \"-\" is stdin too)")
}

// message reads the body and returns the message the flags describe.
func (mf *messageFlags) message(e *env, f *flagSet) (wire.Message, error) {
	if *mf.method == "" {
		return wire.Message{}, f.usagef("flag --method must not be empty")
	}
	body, err := readBody(e, *mf.bodyFile)
	if err != nil {
		return wire.Message{}, err
	}
	return wire.Message{Method: *mf.method, URI: *mf.uri, ClientID: *mf.clientID, Time: *mf.timeHeader, Body: body}, nil
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

// loadPrivateKey and loadPublicKey read and parse a key file. Errors name
// the file and say what was found; they never contain key material.
func loadPrivateKey(file string) (*rsa.PrivateKey, error) {
	return loadKey(file, "private key", wire.ParsePrivateKey)
}

func loadPublicKey(file string) (*rsa.PublicKey, error) {
	return loadKey(file, "public key", wire.ParsePublicKey)
}

func loadKey[K any](file, what string, parse func([]byte) (K, error)) (K, error) {
	var zero K
	data, err := os.ReadFile(file)
	if err != nil {
		return zero, fmt.Errorf("read %s: %w", what, err)
	}
	key, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s %s: %w", what, file, err)
	}
	return key, nil
}
