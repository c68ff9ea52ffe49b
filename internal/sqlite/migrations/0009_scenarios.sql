-- 0009_scenarios: error scenario simulation (docs/simulator.md). One row per
-- rule: for a client and an API, what matching calls do (match and effect
-- are JSON objects, gateway.ScenarioMatch and gateway.ScenarioEffect).
-- count is how many calls the rule shapes (0: until removed), fired how
-- many it has shaped; an exhausted rule (fired = count) stays listed. seq
-- orders rules in the order they were added (the first matching one fires).
CREATE TABLE scenario_rules (
	rule_id    TEXT NOT NULL PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES clients (client_id),
	api        TEXT NOT NULL,
	match      TEXT NOT NULL DEFAULT '{}',
	effect     TEXT NOT NULL,
	count      INTEGER NOT NULL DEFAULT 1 CHECK (count >= 0),
	fired      INTEGER NOT NULL DEFAULT 0 CHECK (fired >= 0),
	created_at INTEGER NOT NULL,
	seq        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scenario_rules_client ON scenario_rules (client_id, api);

-- Every firing of a rule: which call it shaped (ref: the request id, the id
-- asked about or the notification id) and when. Kept after the rule is
-- removed.
CREATE TABLE scenario_firings (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	rule_id   TEXT NOT NULL,
	client_id TEXT NOT NULL,
	api       TEXT NOT NULL,
	ref       TEXT NOT NULL,
	at        INTEGER NOT NULL
);
CREATE INDEX scenario_firings_client ON scenario_firings (client_id, id);
