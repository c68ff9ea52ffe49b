package rows

import (
	"encoding/json"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
)

// ScenarioRuleColumns are the columns of scenario_rules in the order
// ScanScenarioRule and ScenarioRuleValues use.
const ScenarioRuleColumns = `rule_id, client_id, api, match, effect, count, fired, created_at`

// ScenarioFiringColumns are the columns of scenario_firings that
// ScanScenarioFiring reads.
const ScenarioFiringColumns = `rule_id, client_id, api, ref, at`

// ScenarioRuleValues returns r's values for ScenarioRuleColumns; match and
// effect are stored as JSON objects.
func ScenarioRuleValues(r *gateway.ScenarioRule) ([]any, error) {
	m, err := json.Marshal(r.Match)
	if err != nil {
		return nil, fmt.Errorf("scenario rule %s: match: %w", r.ID, err)
	}
	e, err := json.Marshal(r.Effect)
	if err != nil {
		return nil, fmt.Errorf("scenario rule %s: effect: %w", r.ID, err)
	}
	return []any{r.ID, r.ClientID, string(r.API), string(m), string(e), r.Count, r.Fired, r.CreatedAt.UnixMilli()}, nil
}

// ScanScenarioRule reads a row of ScenarioRuleColumns.
func ScanScenarioRule(row Scanner) (gateway.ScenarioRule, error) {
	var r gateway.ScenarioRule
	var api, match, effect string
	if err := row.Scan(&r.ID, &r.ClientID, &api, &match, &effect, &r.Count, &r.Fired, Time{&r.CreatedAt}); err != nil {
		return r, err
	}
	r.API = gateway.ScenarioAPI(api)
	if err := json.Unmarshal([]byte(match), &r.Match); err != nil {
		return r, fmt.Errorf("scenario rule %s: match: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(effect), &r.Effect); err != nil {
		return r, fmt.Errorf("scenario rule %s: effect: %w", r.ID, err)
	}
	return r, nil
}

// ScanScenarioFiring reads a row of ScenarioFiringColumns.
func ScanScenarioFiring(row Scanner) (gateway.ScenarioFiring, error) {
	var f gateway.ScenarioFiring
	var api string
	err := row.Scan(&f.RuleID, &f.ClientID, &api, &f.Ref, Time{&f.At})
	f.API = gateway.ScenarioAPI(api)
	return f, err
}
