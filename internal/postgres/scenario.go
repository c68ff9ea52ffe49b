package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
	"github.com/jackc/pgx/v5"
)

var _ gateway.ScenarioStore = (*Store)(nil)
var _ gateway.ScenarioTx = (*tx)(nil)

// AddScenarioRule stores r and moves the registry version; ErrNotFound for
// an unknown client, ErrConflict for a taken id.
func (s *Store) AddScenarioRule(ctx context.Context, r *gateway.ScenarioRule) error {
	vals, err := rows.ScenarioRuleValues(r)
	if err != nil {
		return err
	}
	return s.registryWrite(ctx, "add scenario rule", func(t *tx) error {
		var one int
		err := t.tx.QueryRow(t.ctx, `SELECT 1 FROM clients WHERE client_id = $1`, r.ClientID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("client %s: %w", r.ClientID, gateway.ErrNotFound)
		}
		if err != nil {
			return t.fail("add scenario rule", err)
		}
		inserted, err := t.execOne("add scenario rule", `INSERT INTO scenario_rules (`+rows.ScenarioRuleColumns+`, seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT coalesce(max(seq), 0) + 1 FROM scenario_rules)) ON CONFLICT (rule_id) DO NOTHING`, vals...)
		if err == nil && !inserted {
			err = fmt.Errorf("scenario rule %s: %w", r.ID, gateway.ErrConflict)
		}
		return err
	})
}

// ScenarioRules lists rules, oldest first.
func (s *Store) ScenarioRules(ctx context.Context, clientID string) ([]gateway.ScenarioRule, error) {
	q := `SELECT ` + rows.ScenarioRuleColumns + ` FROM scenario_rules`
	var args []any
	if clientID != "" {
		q += ` WHERE client_id = $1`
		args = append(args, clientID)
	}
	return queryAll(ctx, s.pool, "list scenario rules", rows.ScanScenarioRule, q+` ORDER BY seq`, args...)
}

// RemoveScenarioRule deletes a rule and moves the registry version.
func (s *Store) RemoveScenarioRule(ctx context.Context, id string) error {
	return s.registryWrite(ctx, "remove scenario rule", func(t *tx) error {
		deleted, err := t.execOne("remove scenario rule", `DELETE FROM scenario_rules WHERE rule_id = $1`, id)
		if err == nil && !deleted {
			err = fmt.Errorf("scenario rule %s: %w", id, gateway.ErrNotFound)
		}
		return err
	})
}

// ScenarioFirings lists firings, newest first.
func (s *Store) ScenarioFirings(ctx context.Context, clientID string, limit int) ([]gateway.ScenarioFiring, error) {
	if limit <= 0 {
		limit = 100
	}
	if clientID == "" {
		return queryAll(ctx, s.pool, "list scenario firings", rows.ScanScenarioFiring,
			`SELECT `+rows.ScenarioFiringColumns+` FROM scenario_firings ORDER BY id DESC LIMIT $1`, limit)
	}
	return queryAll(ctx, s.pool, "list scenario firings", rows.ScanScenarioFiring,
		`SELECT `+rows.ScenarioFiringColumns+` FROM scenario_firings WHERE client_id = $1 ORDER BY id DESC LIMIT $2`, clientID, limit)
}

// ClaimScenarioRule counts a firing when the rule is live and records f.
// The UPDATE's condition is re-checked on the row as committed when it
// waits for a concurrent claim (READ COMMITTED), so of claims racing for a
// rule's last firing exactly one changes the row. A claim that exhausts
// the rule moves the registry version.
func (t *tx) ClaimScenarioRule(f *gateway.ScenarioFiring) (bool, error) {
	var count, fired int
	err := t.tx.QueryRow(t.ctx, `UPDATE scenario_rules SET fired = fired + 1
		WHERE rule_id = $1 AND (count = 0 OR fired < count) RETURNING count, fired`, f.RuleID).Scan(&count, &fired)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.fail("claim scenario rule "+f.RuleID, err)
	}
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO scenario_firings (`+rows.ScenarioFiringColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		f.RuleID, f.ClientID, string(f.API), f.Ref, f.At.UnixMilli()); err != nil {
		return false, t.fail("record scenario firing", err)
	}
	if count > 0 && fired >= count {
		if _, err := t.tx.Exec(t.ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
			return false, t.fail("claim scenario rule: bump registry version", err)
		}
	}
	return true, nil
}

// loadScenarioRules reads the live rules for LoadRegistry.
func loadScenarioRules(ctx context.Context, q querier) ([]gateway.ScenarioRule, error) {
	return queryAll(ctx, q, "load registry: scenario rules", rows.ScanScenarioRule,
		`SELECT `+rows.ScenarioRuleColumns+` FROM scenario_rules WHERE count = 0 OR fired < count ORDER BY seq`)
}
