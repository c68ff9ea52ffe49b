package wire

import (
	"errors"
	"fmt"
)

// Conditions of signed messages; see [Error].
var (
	// ErrMissingHeader: a header the protocol requires is not there.
	ErrMissingHeader = errors.New("wire: missing header")
	// ErrAlgorithm: a Signature header names another algorithm than RSA256.
	ErrAlgorithm = errors.New("wire: unsupported algorithm")
)

// Error is the error of a parse, a check or a decryption in this package:
// which condition (Err, one of the package's sentinel errors, for
// errors.Is) and what exactly was wrong (Detail, for a person). Callers that
// show the problem to someone without the "wire:" prefix use Detail:
//
//	var we *wire.Error
//	if errors.As(err, &we) { msg = we.Detail }
type Error struct {
	// Err is the condition: ErrHeader, ErrMissingHeader, ErrAlgorithm,
	// ErrTime, ErrSignature, ErrSignatureEncoding, ErrDecrypt or ErrKey.
	Err error
	// Header names the header concerned, in lower case ("signature"), when
	// the error is about one.
	Header string
	// Detail says what was wrong, without the sentinel's text:
	// `Signature header item "x" has no '='`. It is empty for
	// ErrSignature, which deliberately says no more.
	Detail string
}

// Error returns the sentinel's text, and a colon and Detail when there is
// one.
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

func detailf(sentinel error, format string, args ...any) error {
	return &Error{Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}
