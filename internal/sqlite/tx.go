package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"github.com/antomgw/antomgw/internal/gateway"
)

var _ gateway.Tx = (*tx)(nil)

// tx is the gateway.Tx of one Update: a write transaction on the writer
// connection, begun with BEGIN IMMEDIATE, so it holds SQLite's write lock
// from its first statement to its end.
type tx struct {
	ctx context.Context
	tx  queryer // the transaction, through the writer's prepared statements
	// notified counts the notifications inserted, added to the group's
	// when fn succeeds.
	notified int64
}

// Update runs fn in a write transaction and commits it when fn returns nil.
// When fn returns an error, or panics, its writes are rolled back and the
// error (or panic) reaches the caller unchanged. Write transactions run one
// at a time, also across processes, so fn is called exactly once: there are
// no serialisation failures to retry. A lock that stays held past
// Options.BusyTimeout, a full disk or a read-only file is an error of kind
// gateway.KindUnavailable.
//
// Concurrent Updates share commits (group commit): each fn runs in the
// caller's goroutine inside a savepoint of one open transaction, and the
// last caller in line commits for all, so one fsync makes a whole group
// durable. Update returns only after the commit that covers fn, so a nil
// error still means "durable"; a failing fn's caller waits for it too, as
// its failure may rest on others' writes (and gets the commit's error when
// that commit fails). Each fn is atomic on its own: a failing fn rolls back
// to its savepoint and leaves the others of the group alone.
func (s *Store) Update(ctx context.Context, fn func(tx gateway.Tx) error) error {
	return s.group.run(ctx, s.writer, s.wcache, fn)
}

// groupCommit shares one write transaction among concurrent Updates.
type groupCommit struct {
	mu      sync.Mutex   // held while an fn runs in the open transaction
	waiting atomic.Int32 // callers queued for mu
	cur     *commitGroup // the open transaction, nil between groups
	// enqueued counts the notifications committed (Store.NotificationStats).
	enqueued atomic.Int64
}

// commitGroup is one transaction and the Updates that wrote in it.
type commitGroup struct {
	tx    *sql.Tx
	cache *stmtCache
	size  int
	// notified counts the notifications of the members whose fn
	// succeeded: what the commit enqueues.
	notified int64
	done     chan struct{} // closed after the commit (or rollback)
	err      error         // the commit's outcome, set before done is closed
}

// maxGroup bounds how many Updates share one commit, so that a steady
// stream of writers still sees commits.
const maxGroup = 128

func (g *groupCommit) run(ctx context.Context, db *sql.DB, cache *stmtCache, fn func(tx gateway.Tx) error) (err error) {
	g.waiting.Add(1)
	g.mu.Lock()
	g.waiting.Add(-1)
	if g.cur == nil {
		// Not bound to ctx: the transaction outlives this caller when
		// others join it. BEGIN IMMEDIATE comes from the writer's DSN.
		sqlTx, err := db.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			g.mu.Unlock()
			return storeErr("begin", err)
		}
		g.cur = &commitGroup{tx: sqlTx, cache: cache, done: make(chan struct{})}
	}
	grp := g.cur
	grp.size++
	// Statements never see a cancelled ctx: SQLite rolls back the whole
	// transaction when a statement in it is interrupted, which would undo
	// the other members of the group.
	t := &tx{ctx: context.WithoutCancel(ctx), tx: inTx{tx: grp.tx, c: cache}}
	if _, err := t.tx.ExecContext(t.ctx, `SAVEPOINT fn`); err != nil {
		g.finish(grp, storeErr("savepoint", err))
		return storeErr("savepoint", err)
	}

	// The deferred half runs however fn ends: return, panic, or
	// runtime.Goexit (t.FailNow in a test). It undoes fn's writes unless fn
	// returned nil, then commits the group or hands it to the next caller.
	returned := false
	defer func() {
		if !returned || err != nil {
			if _, rerr := t.tx.ExecContext(t.ctx, `ROLLBACK TO fn`); rerr != nil {
				g.finish(grp, storeErr("rollback to savepoint", rerr))
				return
			}
		}
		if _, rerr := t.tx.ExecContext(t.ctx, `RELEASE fn`); rerr != nil {
			g.finish(grp, storeErr("release savepoint", rerr))
			return
		}
		if returned && err == nil {
			grp.notified += t.notified
		}
		if g.waiting.Load() == 0 || grp.size >= maxGroup {
			g.finish(grp, nil)
		} else {
			g.mu.Unlock()
		}
		// A failing fn waits for the commit too: its failure may rest on
		// what others of the group wrote (a unique key taken, an amount
		// already refunded), and its caller, told so, must find those
		// writes committed when it looks. Were they rolled back instead,
		// the failure is unfounded: the commit's error replaces it.
		if returned {
			<-grp.done
			if err == nil || grp.err != nil {
				err = grp.err
			}
		}
	}()
	err = fn(t)
	returned = true
	return err
}

// finish ends the group with g.mu held: commits it (or rolls it back when
// failed is set), wakes its members and releases g.mu.
func (g *groupCommit) finish(grp *commitGroup, failed error) {
	if failed != nil {
		grp.tx.Rollback() //nolint:errcheck // the error reported is failed
		grp.err = failed
	} else if err := grp.tx.Commit(); err != nil {
		grp.err = storeErr("commit", err)
	} else {
		g.enqueued.Add(grp.notified)
	}
	g.cur = nil
	close(grp.done)
	// The writer's connection is free now and, with g.mu held, no group
	// can take it: prepare the statements first seen in this one.
	grp.cache.preparePending()
	g.mu.Unlock()
}
