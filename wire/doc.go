// Package wire is the Antom wire protocol, pure: bytes and header values in,
// bytes, header values and errors out. It has no clients, no servers and no
// dependencies outside the standard library, so the SDK, the gateway server
// and the command-line tools all share one byte-exact implementation.
//
// # Signing
//
// Every request, response and notification is signed over
//
//	<METHOD> <URI>\n<Client-Id>.<time header>.<raw body>
//
// built by [SigningContent]. The URI is the path, plus "?query" when there is
// one; for a response it is the request's path and the time header is
// Response-Time; for a notification it is the path of the merchant's notify
// URL. The header values and the body are used exactly as sent: a verifier
// must never re-serialise the JSON or reformat the time.
//
// [Sign] makes an RSASSA-PKCS1-v1_5 signature over SHA-256 of that content,
// encodes it as standard base64 and then URL-encodes it; [Verify] checks it
// and accepts upper- or lower-case percent escapes and raw base64 alike. The
// value travels in the Signature header, which [SignatureHeader] formats as
//
//	algorithm=RSA256,keyVersion=1,signature=<value>
//
// in exactly that order (one official SDK reads the third item), and which
// [ParseSignatureHeader] reads tolerantly (any key case, spaces, any order).
//
// The RSA operation of [Sign] and [Verify] is crypto/rsa's. A cgo build
// with -tags openssl (make build-openssl) does it on the system's OpenSSL
// libcrypto instead, with the same results; see sign_openssl.go.
//
// # Encryption
//
// A body may also be encrypted ([EncryptBody], [DecryptBody]); the Encrypt
// header ([EncryptHeader]) names the scheme and carries the wrapped content
// key. The one scheme defined, [RSAAES], is AES-256-ECB with PKCS #7 padding
// under a random key wrapped with RSA PKCS #1 v1.5 for the recipient. The
// message is encrypted first and the ciphertext is what gets signed.
//
// # Keys, times and results
//
// [ParsePrivateKey] and [ParsePublicKey] read PEM (PKCS #1, PKCS #8, SPKI)
// and the bare base64 DER shown by the Antom dashboard, and refuse keys that
// are not RSA or are under 2048 bits. [ParseTime] reads every Request-Time
// form the official SDKs send; [FormatTime] writes ISO 8601 with
// milliseconds. [Result] is the result object of every answer, with a status
// of S, F or U; [Codes] is the table of result codes.
package wire
