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
	f.require("public-key")
	mf := addMessageFlags(f)
	sigFlag := f.str("signature", "HEADER_VALUE", "", "Signature header value, or only its signature= value")
	f.require("signature")
	mf.addMethod(f)
	mf.addBodyFile(f)
	if err := f.parse(args); err != nil {
		return err
	}
	m, err := mf.message(e, f)
	if err != nil {
		return err
	}
	key, err := loadPublicKey(*keyFile)
	if err != nil {
		return err
	}
	d := sigcheck.Diagnose(sigcheck.Input{
		Method: m.Method, URI: m.URI, ClientID: m.ClientID, Time: m.Time,
		Body: m.Body, Signature: *sigFlag, Key: key,
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
