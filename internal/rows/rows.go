// Package rows is what the SQL stores, internal/sqlite and
// internal/postgres, share about the rows of their tables: the columns of a
// row of each table, in order, and how they map to and from the domain
// types of internal/gateway. The two schemas have the same tables and
// columns and both keep times as Unix milliseconds, so a row's shape is
// written here once. Each store keeps its statements, its transactions and
// what its schema or driver does its own way, such as SQLite's INTEGER 0/1
// booleans and PostgreSQL's sealed gateway keys.
//
// The name says what it holds, rows, not whose: it imports no driver, only
// the standard library and internal/gateway, and reads through Scanner,
// the one method that database/sql's rows and pgx's rows have in common.
//
// For each table there is a Columns constant, the column list to SELECT,
// RETURNING or INSERT, and a Scan function that reads a row of exactly those
// columns; for the tables the stores insert whole rows of, a Values
// function that returns the arguments in the same order. List builds the
// SELECT of a filtered listing in either placeholder style.
//
// Time columns are BIGINT (PostgreSQL) or INTEGER (SQLite) Unix
// milliseconds, in UTC; an optional time that is not set, the zero
// time.Time, is NULL. Millis writes them and Time reads them.
package rows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scanner is a row being read: Scan copies its columns, in order, into
// dest, one destination a column. database/sql's *sql.Row and *sql.Rows
// and pgx's pgx.Row and pgx.CollectableRow are Scanners.
type Scanner interface {
	Scan(dest ...any) error
}

// Millis encodes t for a time column: nil (NULL) for the zero time, else
// its Unix milliseconds as an int64.
func Millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// Time is a scan destination for a time column, written by Millis or, for
// the NOT NULL time columns (jobs.due_at, notifications.created_at and
// due_at), always as Unix milliseconds. It implements database/sql's
// Scanner, which pgx calls too: it sets *T to the time in UTC, or to the
// zero time for NULL. The zero time's own Unix milliseconds (year 1) read
// back as the zero time as well.
type Time struct {
	// T is where Scan stores the time.
	T *time.Time
}

// Scan sets *c.T from v, which is nil (NULL) or an int64 of Unix
// milliseconds; any other type is an error.
func (c Time) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.T = time.Time{}
	case int64:
		*c.T = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("time column holds %T, want an integer of Unix milliseconds", v)
	}
	return nil
}

// List builds the SELECT of a list: the conditions added with Where, all of
// which a row must meet, an order and a limit. Its zero value writes ?
// placeholders (SQLite); set Numbered for $1, $2, … (PostgreSQL).
type List struct {
	// Numbered makes the placeholders $1, $2, … in the order of their
	// arguments, instead of ?.
	Numbered bool

	where []string
	args  []any
}

// Where adds cond, written with a ? for each of args, in order; in a
// Numbered list each ? becomes the $n of its argument. cond holds no other
// ?.
func (l *List) Where(cond string, args ...any) {
	for _, a := range args {
		l.args = append(l.args, a)
		if l.Numbered {
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(l.args)), 1)
		}
	}
	l.where = append(l.where, cond)
}

// SQL returns the SELECT of what (columns FROM table) under the conditions,
// in order, of at most limit rows (def when limit is not above zero), and
// its arguments: those of the conditions, then the limit.
func (l *List) SQL(what, order string, limit, def int) (string, []any) {
	q := `SELECT ` + what
	if len(l.where) > 0 {
		q += ` WHERE ` + strings.Join(l.where, " AND ")
	}
	if limit <= 0 {
		limit = def
	}
	args := append(l.args, limit)
	mark := "?"
	if l.Numbered {
		mark = "$" + strconv.Itoa(len(args))
	}
	return q + ` ORDER BY ` + order + ` LIMIT ` + mark, args
}
