package main

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/sigcheck"
)

const verifySynopsis = `antomgw verify --public-key FILE --client-id ID --time TIME --path PATH --signature HEADER_VALUE
                      [--method POST] [--body-file FILE]`

var verifyDoc = helpText("verify")

func runVerify(_ context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, verifySynopsis, verifyDoc)
	keyFile := f.str("public-key", "FILE", "", "RSA public key: PEM (SPKI, PKCS #1 or certificate) or bare base64 DER")
	clientID := f.str("client-id", "ID", "", "Client-Id header value")
	timeHeader := f.str("time", "TIME", "", "Request-Time (or Response-Time) header value, exactly as sent")
	uri := f.str("path", "PATH", "", "request path, with ?query if any, e.g. /ams/api/v1/payments/pay")
	sigFlag := f.str("signature", "HEADER_VALUE", "", "Signature header value, or only its signature= value")
	method := f.str("method", "METHOD", "POST", "HTTP method")
	bodyFile := f.str("body-file", "FILE", "", "read the body from FILE (default: stdin; \"-\" is stdin too)")
	f.require("public-key", "client-id", "time", "path", "signature")
	if err := f.parse(args); err != nil {
		return err
	}
	if *method == "" {
		return f.usagef("flag --method must not be empty")
	}

	key, err := loadPublicKey(*keyFile)
	if err != nil {
		return err
	}
	body, err := readBody(e, *bodyFile)
	if err != nil {
		return err
	}
	d := sigcheck.Diagnose(sigcheck.Input{
		Method: *method, URI: *uri, ClientID: *clientID, Time: *timeHeader,
		Body: body, Signature: *sigFlag, Key: key,
	})
	if d.Verified {
		for _, w := range d.Warnings {
			fmt.Fprintf(e.stderr, "warning: %s\n", w)
		}
		return d.WriteText(e.stdout)
	}
	_ = d.WriteText(e.stdout) // exit 1 says the signature failed; a write error cannot add to that
	return exitStatus(exitFailure)
}
