package main

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/sigcheck"
)

const verifySynopsis = `antomgw verify --public-key FILE --client-id ID --time TIME --path PATH --signature HEADER_VALUE
                      [--method POST] [--body-file FILE]`

const verifyDoc = `Verify a Signature header value over

  <method> <path>\n<client-id>.<time>.<body>

with every value used exactly as given (see "antomgw sign --help"); the body
is read byte for byte from --body-file, or from stdin without it.
--signature takes the whole header value
(algorithm=RSA256,keyVersion=1,signature=...) or only the signature value;
it may be URL-encoded with upper- or lower-case escapes, or raw base64.

Output and exit status:
  0  stdout: "valid". Warnings (the value would fail a strict verifier,
     e.g. it is not URL-encoded) go to stderr.
  1  stdout: a diagnosis. It shows the exact content verified (LF as \n and a
     line break, CR as \r, tab as \t, backslash as \\, other control bytes as
     \xNN; the middle of a long content is elided), the body's length and
     SHA-256, the key's size and fingerprint, the keyVersion of the header,
     what the RSA block of the signature reveals (made with this key or
     not; a variant of the inputs that it does match), the causes these
     inputs make plausible and the usual causes. A value that cannot be
     decoded at all is said to be so.
     Errors such as an unreadable or unusable key file also exit 1, with a
     message on stderr and nothing on stdout.
  2  bad usage (unknown or missing flag), message on stderr.

Example:
  antomgw verify --public-key merchant-public.pem --client-id SANDBOX_5X00000000000000 \
      --time 2024-01-01T08:00:00.000+08:00 --path /ams/sandbox/api/v1/payments/pay \
      --body-file pay.json --signature 'algorithm=RSA256,keyVersion=1,signature=...'`

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
