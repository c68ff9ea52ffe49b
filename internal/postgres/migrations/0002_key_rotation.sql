-- 0002_key_rotation: staged gateway key rotation and per-client pins; the
-- same columns as the SQLite store's 0004_key_rotation.
--
-- A gateway key is 'published' (exportable; signs only for clients pinned to
-- it), 'active' (signs for everyone else) or 'retired'. At most one version
-- is active; the unique index holds that. An existing database keeps its
-- behaviour: its newest key, which signed until now, becomes the active one.
ALTER TABLE gateway_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'published'
	CHECK (state IN ('published', 'active', 'retired'));
ALTER TABLE gateway_keys ADD COLUMN activated_at BIGINT;
ALTER TABLE gateway_keys ADD COLUMN retired_at BIGINT;
UPDATE gateway_keys SET state = 'active', activated_at = created_at
	WHERE version = (SELECT max(version) FROM gateway_keys);
CREATE UNIQUE INDEX gateway_keys_one_active ON gateway_keys (state) WHERE state = 'active';

-- A client pinned to a gateway key version (0: none) gets its answers and
-- notifications signed with that version instead of the active one.
ALTER TABLE clients ADD COLUMN gateway_key_version INTEGER NOT NULL DEFAULT 0;
