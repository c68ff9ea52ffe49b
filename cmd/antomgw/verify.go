package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"strings"

	"github.com/antomgw/antomgw/wire"
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
	in := &verification{
		method: *method, uri: *uri, clientID: *clientID, timeHeader: *timeHeader,
		body: body, key: key,
	}
	in.readSignature(*sigFlag)
	content := wire.SigningContent(in.method, in.uri, in.clientID, in.timeHeader, in.body)
	if in.headerErr == nil && in.decodeErr == nil {
		if wire.Verify(key, content, in.value) == nil {
			for _, w := range in.strictWarnings() {
				fmt.Fprintf(e.stderr, "warning: %s\n", w)
			}
			_, err := fmt.Fprintln(e.stdout, "valid")
			return err
		}
	}
	in.writeDiagnosis(e.stdout, content)
	return exitStatus(exitFailure)
}

// verification holds the inputs of one verify run and what was read from
// the signature flag.
type verification struct {
	method, uri, clientID, timeHeader string
	body                              []byte
	key                               *rsa.PublicKey

	given     string                // the --signature flag, surrounding space removed
	header    *wire.SignatureHeader // set when a whole header value was given and parsed
	headerErr error                 // the header value could not be parsed
	value     string                // the signature value
	sig       []byte                // the decoded signature; nil when decodeErr is set
	decodeErr error
}

// readSignature fills the signature fields from the --signature flag: a
// whole header value (recognised by a comma or a leading key=, optionally
// preceded by "Signature:" as copied from a log) or a bare value.
func (v *verification) readSignature(flagValue string) {
	s := strings.TrimSpace(flagValue)
	if len(s) >= len("signature:") && strings.EqualFold(s[:len("signature:")], "signature:") {
		s = strings.TrimSpace(s[len("signature:"):])
	}
	v.given = s
	lower := strings.ToLower(s)
	if strings.Contains(s, ",") || strings.HasPrefix(lower, "algorithm=") ||
		strings.HasPrefix(lower, "keyversion=") || strings.HasPrefix(lower, "signature=") {
		h, err := wire.ParseSignatureHeader(s)
		if err != nil {
			v.headerErr = err
			return
		}
		v.header = &h
		v.value = h.Signature
	} else {
		v.value = s
	}
	v.sig, v.decodeErr = wire.DecodeSignature(v.value)
}

// strictWarnings lists what a valid signature would still fail at in a
// strict verifier (the official SDKs): things wire.Verify tolerates.
func (v *verification) strictWarnings() []string {
	var w []string
	if v.header != nil && v.header.Algorithm != "" && !strings.EqualFold(v.header.Algorithm, wire.AlgorithmRSA256) {
		w = append(w, fmt.Sprintf("the header says algorithm=%s; Antom uses RSA256", v.header.Algorithm))
	}
	if v.header != nil && v.header.Algorithm == "" {
		w = append(w, "the header has no algorithm= item; senders write algorithm=RSA256 first")
	}
	w = append(w, encodingNotes(v.value, v.sig)...)
	return w
}
