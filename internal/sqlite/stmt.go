package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds a prepared statement per query text, so that SQLite parses
// each of the store's statements once per connection instead of on every
// call (parsing was an eighth of the server's CPU on the pay path). The
// store's queries are a small fixed set; the few built at run time (list
// filters) add a handful of entries.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // seen inside a transaction, to prepare after it
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the prepared statement for q, preparing it on the pool when
// it is new. It must not be called while the caller holds the pool's only
// connection (inside a write transaction): use peek there.
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	c.mu.Lock()
	st := c.stmts[q]
	c.mu.Unlock()
	if st != nil {
		return st
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil // the caller runs q unprepared and sees the error there
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.stmts[q]; old != nil {
		st.Close()
		return old
	}
	c.stmts[q] = st
	return st
}

// peek returns the prepared statement for q if there is one; otherwise it
// notes q for preparePending and returns nil.
func (c *stmtCache) peek(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stmts[q]
	if st == nil {
		c.pending[q] = true
	}
	return st
}

// preparePending prepares the statements peek noted, once the pool's
// connection is free again.
func (c *stmtCache) preparePending() {
	c.mu.Lock()
	var qs []string
	for q := range c.pending {
		qs = append(qs, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range qs {
		c.get(context.Background(), q)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	clear(c.stmts)
}

// pooled is a queryer over a pool that uses the cache.
type pooled struct{ c *stmtCache }

func (p pooled) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := p.c.get(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.c.db.ExecContext(ctx, q, args...)
}

func (p pooled) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := p.c.get(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.c.db.QueryContext(ctx, q, args...)
}

func (p pooled) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := p.c.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.c.db.QueryRowContext(ctx, q, args...)
}

// inTx is a queryer over a write transaction that uses the writer's
// prepared statements (tx.StmtContext reuses one prepared on the same
// connection) and notes new ones for later.
type inTx struct {
	tx *sql.Tx
	c  *stmtCache
}

func (t inTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.c.peek(q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t inTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.c.peek(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t inTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.c.peek(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}
