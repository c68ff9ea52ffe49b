// Package sigcheck explains why a signature does not verify. It is the
// signature debugger behind "antomgw verify", shaped so that other front
// ends (a web console showing a failed request) give the same diagnosis.
//
// [Diagnose] takes one signed message as it was sent or received ([Input]:
// method, path, Client-Id, time header, body, Signature header value and the
// public key) and returns a [Diagnosis]: whether the signature verifies, the
// exact content that was verified, the SHA-256 and length of the content and
// of the body, the key's size and fingerprint, what the RSA block of the
// signature reveals (made with this key or not, with which hash), which
// small variant of the inputs (a trailing newline, re-serialised JSON, the
// sandbox path, ...) the signature matches, and the causes to check. Its
// fields are structured, for a page to render; [Diagnosis.WriteText] renders
// it as the text "antomgw verify" prints.
//
// Everything it reads and shows is public: the public key, the signed
// message and the signature. Applying the public key to a signature reveals
// at most the digest of what was signed.
//
// The strings-to-sign are built by [wire.SigningContent], also for the
// variants it tries; only the variants themselves (another body, another
// path, ...) are this package's.
package sigcheck
