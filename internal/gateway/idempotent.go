package gateway

import (
	"context"
	"errors"
)

// onceByRequestID makes a create idempotent on the merchant's request id
// (captureRequestId, refundRequestId). read finds the record made under
// the id. A repeat of the request is answered with replay of that record
// when same says it was made from the same contents, and refused with
// mismatch (KindIdempotencyMismatch) when not. create runs for an id not
// seen yet; when it fails because a repeat committed meanwhile
// (ErrConflict, or any refusal while a record now stands under the id),
// the call answers as that repeat, not with the refusal the first one
// caused (…_AMOUNT_EXCEED, …).
func onceByRequestID[T, R any](ctx context.Context, read func(ctx context.Context, clientID, requestID string) (*T, error),
	clientID, requestID string, same func(*T) bool, mismatch string, replay func(*T) *R, create func() (*R, error)) (*R, error) {
	dup := func() (*R, error) {
		rec, err := read(ctx, clientID, requestID)
		if err != nil {
			return nil, storeError(err)
		}
		if !same(rec) {
			return nil, &Error{Kind: KindIdempotencyMismatch, Message: mismatch}
		}
		return replay(rec), nil
	}
	if _, err := read(ctx, clientID, requestID); err == nil {
		return dup()
	} else if !errors.Is(err, ErrNotFound) {
		return nil, storeError(err)
	}
	out, err := create()
	if errors.Is(err, ErrConflict) {
		return dup()
	}
	if err != nil {
		if _, e := read(ctx, clientID, requestID); e == nil {
			return dup()
		}
		return nil, storeError(err)
	}
	return out, nil
}
