package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// InsertJob schedules j and sets j.ID. A zero DueAt is due at once.
func (t *tx) InsertJob(j *gateway.Job) error {
	err := t.tx.QueryRow(t.ctx, `INSERT INTO jobs (kind, client_id, target_id, due_at, status, code, message, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		string(j.Kind), j.ClientID, j.TargetID, j.DueAt.UnixMilli(), j.Status, j.Code, j.Message, j.Attempts).Scan(&j.ID)
	return t.fail("insert job", err)
}

// DeleteJob removes a job. Removing a job that is gone already (another
// transaction finished it or made it obsolete) is not an error.
func (t *tx) DeleteJob(id int64) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM jobs WHERE id = $1`, id)
	return t.fail(fmt.Sprintf("delete job %d", id), err)
}

// DeleteJobs removes every job of targetID of the given kinds, or of any
// kind when none are given.
func (t *tx) DeleteJobs(targetID string, kinds ...gateway.JobKind) error {
	var err error
	if len(kinds) == 0 {
		_, err = t.tx.Exec(t.ctx, `DELETE FROM jobs WHERE target_id = $1`, targetID)
	} else {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		_, err = t.tx.Exec(t.ctx, `DELETE FROM jobs WHERE target_id = $1 AND kind = ANY($2)`, targetID, names)
	}
	return t.fail("delete jobs of "+targetID, err)
}

// ClaimJobs leases up to limit jobs due at now and not leased by anyone at
// now, until now+lease, and returns them by due time, then id. Their
// Attempts count this claim.
//
// It is one statement: the inner SELECT … FOR UPDATE SKIP LOCKED locks the
// rows it picks and passes over rows another node is claiming at the same
// moment, so concurrent claims from any number of nodes never return one
// job twice and never wait for each other. A row that another claim
// committed meanwhile is re-checked against the WHERE clause (its new
// lease) before it is taken.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	jobs, err := queryAll(ctx, s.pool, "claim jobs", rows.ScanJob, `UPDATE jobs SET lease_until = $1, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM jobs
			WHERE due_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY due_at, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+rows.JobColumns,
		now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	// RETURNING comes in no promised order.
	sortClaimed(jobs, func(j gateway.Job) (time.Time, int64) { return j.DueAt, j.ID })
	return jobs, nil
}

// NextJobDue returns the earliest time a job can be claimed.
func (s *Store) NextJobDue(ctx context.Context) (time.Time, bool, error) {
	return s.nextDue(ctx, "next job due", `SELECT MIN(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END) FROM jobs`)
}

// nextDue runs a query for one nullable time in Unix milliseconds.
func (s *Store) nextDue(ctx context.Context, op, query string) (time.Time, bool, error) {
	var ms *int64
	if err := s.pool.QueryRow(ctx, query).Scan(&ms); err != nil {
		return time.Time{}, false, storeErr(op, err)
	}
	if ms == nil {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(*ms).UTC(), true, nil
}

// Mark records key and reports whether this call recorded it first, also
// when several nodes mark the same key at once.
func (s *Store) Mark(ctx context.Context, key string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO marks (key, created_at) VALUES ($1, $2)
		ON CONFLICT (key) DO NOTHING`, key, rows.Millis(at))
	if err != nil {
		return false, storeErr("mark "+key, err)
	}
	return tag.RowsAffected() == 1, nil
}
