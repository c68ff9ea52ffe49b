package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// record describes payments or refunds to the tests they share. The two
// are stored alike: each has an id and a request id of its client, an
// insert that claims the request id, a read that locks the row, and an
// update of the fields that change when it is decided.
type record[T any] struct {
	name string // "Payment" or "Refund", as the store's methods are named
	// newStore returns a new store that can hold records of client-a and
	// client-b.
	newStore func(t *testing.T) gateway.Store
	// full returns a record with every field set, so that a round trip
	// that drops one is seen; bare one with only what an insert needs.
	full, bare func(clientID, requestID, id string) T
	// undecided returns a copy of r as it was before it was decided: every
	// field an update writes zero, or as at its creation.
	undecided func(r T) T
	// times returns the time fields of r.
	times func(r T) []time.Time
	// The store's methods for the record.
	get, byRequestID func(s gateway.Store, ctx context.Context, clientID, id string) (T, error)
	forUpdate        func(tx gateway.Tx, clientID, id string) (T, error)
	insert, update   func(tx gateway.Tx, r T) error
}

// read returns the record of clientID's id, or with byRequest set of its
// request id, failing the test now when it cannot be read.
func (k record[T]) read(tb testing.TB, s gateway.Store, byRequest bool, clientID, id string) T {
	tb.Helper()
	get, what := k.get, k.name
	if byRequest {
		get, what = k.byRequestID, k.name+"ByRequestID"
	}
	r, err := get(s, context.Background(), clientID, id)
	return must(tb, what+"("+clientID+", "+id+")", r, err)
}

// Arguments of record.read.
const byID, byRequestID = false, true

// errOf returns the error of a call's results.
func errOf[T any](_ T, err error) error { return err }

// testRecords runs the tests that payments and refunds share.
func testRecords[T any](t *testing.T, k record[T]) {
	ctx := context.Background()

	t.Run("InsertAndRead", func(t *testing.T) {
		// A full record reads back whole. A bare one reads back with its
		// optional times zero, not 1970.
		s := k.newStore(t)
		for i, newRecord := range []func(clientID, requestID, id string) T{k.full, k.bare} {
			requestID, id := fmt.Sprintf("req-%d", i+1), fmt.Sprintf("id-%d", i+1)
			want := newRecord("client-a", requestID, id)
			insert(t, s, k.insert, want)
			got := k.read(t, s, byID, "client-a", id)
			wantEqual(t, k.name+" "+id, want, got)
			sameTimes(t, k.name+" "+id, k.times(got), k.times(want))
			wantEqual(t, k.name+"ByRequestID "+requestID, want, k.read(t, s, byRequestID, "client-a", requestID))
		}
	})

	t.Run("ErrNotFoundAndClientScoping", func(t *testing.T) {
		s := k.newStore(t)
		want := k.full("client-a", "req-1", "id-1")
		insert(t, s, k.insert, want)
		// Another client can neither read it nor overwrite it.
		other := k.bare("client-b", "req-1", "id-1")
		for _, c := range []struct {
			what string
			err  error
		}{
			{k.name + " of an unknown id", errOf(k.get(s, ctx, "client-a", "id-2"))},
			{k.name + "ByRequestID of an unknown request id", errOf(k.byRequestID(s, ctx, "client-a", "req-2"))},
			{k.name + " of another client's id", errOf(k.get(s, ctx, "client-b", "id-1"))},
			{k.name + "ByRequestID of another client's request id", errOf(k.byRequestID(s, ctx, "client-b", "req-1"))},
			{k.name + "ForUpdate of another client's id", s.Update(ctx, func(tx gateway.Tx) error { return errOf(k.forUpdate(tx, "client-b", "id-1")) })},
			{"Update" + k.name + " of another client's record", s.Update(ctx, func(tx gateway.Tx) error { return k.update(tx, other) })},
			{"Update" + k.name + " of a missing record", s.Update(ctx, func(tx gateway.Tx) error { return k.update(tx, k.full("client-a", "req-7", "id-7")) })},
			{k.name + "ForUpdate of a missing record", s.Update(ctx, func(tx gateway.Tx) error { return errOf(k.forUpdate(tx, "client-a", "id-7")) })},
		} {
			wantErr(t, c.what, c.err, gateway.ErrNotFound)
		}
		wantEqual(t, k.name+" after another client's update", want, k.read(t, s, byID, "client-a", "id-1"))
	})

	t.Run("ErrConflictDuplicateRequestID", func(t *testing.T) {
		s := k.newStore(t)
		first := k.full("client-a", "req-1", "id-1")
		insert(t, s, k.insert, first)
		err := s.Update(ctx, func(tx gateway.Tx) error { return k.insert(tx, k.bare("client-a", "req-1", "id-2")) })
		wantErr(t, "Insert"+k.name+" of a taken request id", err, gateway.ErrConflict)
		_, err = k.get(s, ctx, "client-a", "id-2")
		wantErr(t, k.name+" of the refused insert", err, gateway.ErrNotFound)
		wantEqual(t, k.name+" after a refused duplicate", first, k.read(t, s, byRequestID, "client-a", "req-1"))

		// The same request id is another client's own.
		theirs := k.full("client-b", "req-1", "id-3")
		insert(t, s, k.insert, theirs)
		wantEqual(t, k.name+"ByRequestID(client-b)", theirs, k.read(t, s, byRequestID, "client-b", "req-1"))
	})

	t.Run("Update", func(t *testing.T) {
		// Decided: every field an update writes changes. And back: a
		// cleared time is cleared in the store.
		s := k.newStore(t)
		decided := k.full("client-a", "req-1", "id-1")
		undecided := k.undecided(decided)
		insert(t, s, k.insert, undecided)
		for _, step := range []struct {
			what     string
			from, to T
		}{
			{"deciding", undecided, decided},
			{"clearing fields", decided, undecided},
		} {
			update(t, s, func(tx gateway.Tx) error {
				got, err := k.forUpdate(tx, "client-a", "id-1")
				if err != nil {
					return err
				}
				wantEqual(t, k.name+"ForUpdate before "+step.what, step.from, got)
				return k.update(tx, step.to)
			})
			wantEqual(t, k.name+" after "+step.what, step.to, k.read(t, s, byID, "client-a", "id-1"))
		}
	})
}
