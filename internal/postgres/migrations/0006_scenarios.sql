-- 0006_scenarios: error scenario simulation; the same tables as the SQLite
-- store's 0009_scenarios. match and effect are JSON objects
-- (gateway.ScenarioMatch, gateway.ScenarioEffect); count is how many calls
-- the rule shapes (0: until removed), fired how many it has shaped; seq
-- orders rules in the order they were added.
CREATE TABLE scenario_rules (
	rule_id    TEXT NOT NULL PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES clients (client_id),
	api        TEXT NOT NULL,
	match      TEXT NOT NULL DEFAULT '{}',
	effect     TEXT NOT NULL,
	count      INTEGER NOT NULL DEFAULT 1 CHECK (count >= 0),
	fired      INTEGER NOT NULL DEFAULT 0 CHECK (fired >= 0),
	created_at BIGINT NOT NULL,
	seq        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX scenario_rules_client ON scenario_rules (client_id, api);

CREATE TABLE scenario_firings (
	id        BIGSERIAL PRIMARY KEY,
	rule_id   TEXT NOT NULL,
	client_id TEXT NOT NULL,
	api       TEXT NOT NULL,
	ref       TEXT NOT NULL,
	at        BIGINT NOT NULL
);
CREATE INDEX scenario_firings_client ON scenario_firings (client_id, id);
