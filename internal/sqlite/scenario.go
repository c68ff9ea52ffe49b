package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

var _ gateway.ScenarioStore = (*Store)(nil)
var _ gateway.ScenarioTx = (*tx)(nil)

// liveScenarioRules is the registry's query for the rules that may still
// fire, oldest first.
const liveScenarioRules = `SELECT ` + rows.ScenarioRuleColumns + ` FROM scenario_rules
	WHERE count = 0 OR fired < count ORDER BY seq`

// AddScenarioRule stores r and moves the registry version; ErrNotFound for
// an unknown client, ErrConflict for a taken id.
func (s *Store) AddScenarioRule(ctx context.Context, r *gateway.ScenarioRule) error {
	vals, err := rows.ScenarioRuleValues(r)
	if err != nil {
		return err
	}
	return s.registryWrite(ctx, "add scenario rule", func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE client_id = ?`, r.ClientID).Scan(&one); err != nil {
			if err == sql.ErrNoRows {
				return fmt.Errorf("client %s: %w", r.ClientID, gateway.ErrNotFound)
			}
			return err
		}
		inserted, err := changed(tx.ExecContext(ctx, `INSERT INTO scenario_rules (`+rows.ScenarioRuleColumns+`, seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM scenario_rules)) ON CONFLICT (rule_id) DO NOTHING`, vals...))
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
		q += ` WHERE client_id = ?`
		args = append(args, clientID)
	}
	return queryAll(ctx, s.rd, "list scenario rules", rows.ScanScenarioRule, q+` ORDER BY seq`, args...)
}

// RemoveScenarioRule deletes a rule and moves the registry version.
func (s *Store) RemoveScenarioRule(ctx context.Context, id string) error {
	return s.registryWrite(ctx, "remove scenario rule", func(tx *sql.Tx) error {
		deleted, err := changed(tx.ExecContext(ctx, `DELETE FROM scenario_rules WHERE rule_id = ?`, id))
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
	q := `SELECT ` + rows.ScenarioFiringColumns + ` FROM scenario_firings`
	args := []any{}
	if clientID != "" {
		q += ` WHERE client_id = ?`
		args = append(args, clientID)
	}
	return queryAll(ctx, s.rd, "list scenario firings", rows.ScanScenarioFiring, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
}

// ClaimScenarioRule counts a firing when the rule is live, in one UPDATE
// (write transactions run one at a time), records f, and moves the
// registry version when the claim exhausts the rule.
func (t *tx) ClaimScenarioRule(f *gateway.ScenarioFiring) (bool, error) {
	var count, fired int
	err := t.tx.QueryRowContext(t.ctx, `UPDATE scenario_rules SET fired = fired + 1
		WHERE rule_id = ? AND (count = 0 OR fired < count) RETURNING count, fired`, f.RuleID).Scan(&count, &fired)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, storeErr("claim scenario rule "+f.RuleID, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO scenario_firings (`+rows.ScenarioFiringColumns+`) VALUES (?, ?, ?, ?, ?)`,
		f.RuleID, f.ClientID, string(f.API), f.Ref, f.At.UnixMilli()); err != nil {
		return false, storeErr("record scenario firing", err)
	}
	if count > 0 && fired >= count {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
			return false, storeErr("claim scenario rule: bump registry version", err)
		}
	}
	return true, nil
}

// loadScenarioRules reads the live rules for LoadRegistry.
func loadScenarioRules(ctx context.Context, q queryer) ([]gateway.ScenarioRule, error) {
	return queryAll(ctx, q, "load registry: scenario rules", rows.ScanScenarioRule, liveScenarioRules)
}
