package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// InsertJob schedules j and sets j.ID. A zero DueAt is due at once.
func (t *tx) InsertJob(j *gateway.Job) error {
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO jobs (kind, client_id, target_id, due_at, status, code, message, attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(j.Kind), j.ClientID, j.TargetID, j.DueAt.UnixMilli(), j.Status, j.Code, j.Message, j.Attempts).Scan(&j.ID)
	return storeErr("insert job", err)
}

// DeleteJob removes a job. Removing a job that is gone already (another
// transaction finished it or made it obsolete) is not an error.
func (t *tx) DeleteJob(id int64) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM jobs WHERE id = ?`, id)
	return storeErr(fmt.Sprintf("delete job %d", id), err)
}

// DeleteJobs removes every job of targetID of the given kinds, or of any
// kind when none are given.
func (t *tx) DeleteJobs(targetID string, kinds ...gateway.JobKind) error {
	q := `DELETE FROM jobs WHERE target_id = ?`
	args := []any{targetID}
	if len(kinds) > 0 {
		q += ` AND kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `)`
		for _, k := range kinds {
			args = append(args, string(k))
		}
	}
	_, err := t.tx.ExecContext(t.ctx, q, args...)
	return storeErr("delete jobs of "+targetID, err)
}

// ClaimJobs leases up to limit jobs due at now and not leased by anyone at
// now, until now+lease, in one statement on the writer connection, and
// returns them by due time, then id. Their Attempts count this claim.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	at := now.UnixMilli()
	jobs, err := queryAll(ctx, s.wr, "claim jobs", rows.ScanJob, `UPDATE jobs SET lease_until = ?, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM jobs
			WHERE due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY due_at, id
			LIMIT ?)
		RETURNING `+rows.JobColumns,
		now.Add(lease).UnixMilli(), at, at, limit)
	if err != nil {
		return nil, err
	}
	// RETURNING comes in no promised order.
	slices.SortFunc(jobs, func(a, b gateway.Job) int { return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID)) })
	return jobs, nil
}

// NextJobDue returns the earliest time a job can be claimed.
func (s *Store) NextJobDue(ctx context.Context) (time.Time, bool, error) {
	return nextDue(ctx, s.rd, "next job due", `SELECT MIN(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END) FROM jobs`)
}

// nextDue runs a query for one nullable time in Unix milliseconds.
func nextDue(ctx context.Context, q pooled, op, query string) (time.Time, bool, error) {
	var ms sql.NullInt64
	if err := q.QueryRowContext(ctx, query).Scan(&ms); err != nil {
		return time.Time{}, false, storeErr(op, err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}

// Mark records key and reports whether this call recorded it first.
func (s *Store) Mark(ctx context.Context, key string, at time.Time) (bool, error) {
	first, err := changed(s.wr.ExecContext(ctx, `INSERT INTO marks (key, created_at) VALUES (?, ?)
		ON CONFLICT (key) DO NOTHING`, key, rows.Millis(at)))
	return first, storeErr("mark "+key, err)
}
