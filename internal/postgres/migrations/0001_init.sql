-- 0001_init: the whole schema of the first PostgreSQL release; the same
-- tables and columns as the SQLite store's 0001_init, 0002_notifications and
-- 0003_client_encrypted.
--
-- Times are BIGINT Unix milliseconds (UTC), as in the SQLite store, so that a
-- time.Time round-trips exactly (to the millisecond, in UTC) without
-- depending on the session's TimeZone; read one in psql with
-- to_timestamp(created_at / 1000.0). An optional time that is not set (the
-- zero time.Time) is NULL. jobs.due_at, notifications.created_at and
-- notifications.due_at are never NULL: the zero time is stored as its own
-- Unix milliseconds (year 1), so it is due at once and still reads back as
-- the zero time. Money is a BIGINT value in minor units next to its TEXT
-- currency.

CREATE TABLE clients (
	client_id  TEXT NOT NULL PRIMARY KEY,
	notify_url TEXT NOT NULL DEFAULT '',
	-- The client's API traffic is encrypted, so its notifications are too.
	encrypted  BOOLEAN NOT NULL DEFAULT false,
	created_at BIGINT
);

CREATE TABLE client_keys (
	client_id  TEXT NOT NULL REFERENCES clients (client_id),
	version    INTEGER NOT NULL,
	public_key BYTEA NOT NULL,
	created_at BIGINT,
	retired_at BIGINT,
	PRIMARY KEY (client_id, version)
);

-- gateway_keys.private_key is the PKCS #8 DER as given when sealed is false,
-- and when sealed is true the DER sealed under the key-encryption key: a
-- format byte (1), a 12-byte nonce, then AES-256-GCM ciphertext and tag, with
-- the additional data "antomgw gateway key v<version>".
CREATE TABLE gateway_keys (
	version     INTEGER NOT NULL PRIMARY KEY,
	private_key BYTEA NOT NULL,
	sealed      BOOLEAN NOT NULL DEFAULT false,
	created_at  BIGINT
);

-- registry_version has exactly one row; every write to clients, client_keys
-- or gateway_keys bumps it first thing in the same transaction, so a node
-- that cached the registry sees with one cheap read that it moved, and
-- registry writes take turns on its row lock.
CREATE TABLE registry_version (
	id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

CREATE TABLE payments (
	payment_id      TEXT NOT NULL PRIMARY KEY,
	client_id       TEXT NOT NULL,
	request_id      TEXT NOT NULL,
	product_code    TEXT NOT NULL DEFAULT '',
	scenario        TEXT NOT NULL DEFAULT '',
	amount_value    BIGINT NOT NULL,
	amount_currency TEXT NOT NULL,
	method_type     TEXT NOT NULL DEFAULT '',
	method_id       TEXT NOT NULL DEFAULT '',
	notify_url      TEXT NOT NULL DEFAULT '',
	redirect_url    TEXT NOT NULL DEFAULT '',
	reference_id    TEXT NOT NULL DEFAULT '',
	fingerprint     TEXT NOT NULL DEFAULT '',
	action_url      TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	decided         BOOLEAN NOT NULL DEFAULT false,
	result_code     TEXT NOT NULL DEFAULT '',
	result_message  TEXT NOT NULL DEFAULT '',
	created_at      BIGINT,
	updated_at      BIGINT,
	expires_at      BIGINT,
	paid_at         BIGINT,
	cancelled_at    BIGINT,
	refunded        BIGINT NOT NULL DEFAULT 0,
	-- The idempotency key: one payment per request id, whichever node
	-- inserts it (INSERT … ON CONFLICT (client_id, request_id) DO NOTHING).
	CONSTRAINT payments_request UNIQUE (client_id, request_id)
);

CREATE TABLE refunds (
	refund_id       TEXT NOT NULL PRIMARY KEY,
	-- seq is the insertion order, the tie-break of "oldest first" (SQLite's
	-- rowid).
	seq             BIGINT GENERATED ALWAYS AS IDENTITY,
	client_id       TEXT NOT NULL,
	request_id      TEXT NOT NULL,
	payment_id      TEXT NOT NULL REFERENCES payments (payment_id),
	amount_value    BIGINT NOT NULL,
	amount_currency TEXT NOT NULL,
	reason          TEXT NOT NULL DEFAULT '',
	reference_id    TEXT NOT NULL DEFAULT '',
	notify_url      TEXT NOT NULL DEFAULT '',
	async           BOOLEAN NOT NULL DEFAULT false,
	fingerprint     TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	result_code     TEXT NOT NULL DEFAULT '',
	result_message  TEXT NOT NULL DEFAULT '',
	created_at      BIGINT,
	updated_at      BIGINT,
	refunded_at     BIGINT,
	CONSTRAINT refunds_request UNIQUE (client_id, request_id)
);
CREATE INDEX refunds_payment_id ON refunds (payment_id, created_at, seq);

CREATE TABLE jobs (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        TEXT NOT NULL,
	client_id   TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	due_at      BIGINT NOT NULL,
	status      TEXT NOT NULL DEFAULT '',
	code        TEXT NOT NULL DEFAULT '',
	message     TEXT NOT NULL DEFAULT '',
	attempts    INTEGER NOT NULL DEFAULT 0,
	lease_until BIGINT
);
CREATE INDEX jobs_due_at ON jobs (due_at, id);
CREATE INDEX jobs_target_id ON jobs (target_id);

CREATE TABLE marks (
	key        TEXT NOT NULL PRIMARY KEY,
	created_at BIGINT
);

-- The notification outbox: rows written in the same transaction as the
-- state change that causes them, and every delivery attempt.
CREATE TABLE notifications (
	id           TEXT NOT NULL PRIMARY KEY,
	client_id    TEXT NOT NULL,
	kind         TEXT NOT NULL,
	payment_id   TEXT NOT NULL,
	refund_id    TEXT NOT NULL DEFAULT '',
	url          TEXT NOT NULL,
	body         BYTEA NOT NULL,
	created_at   BIGINT NOT NULL,
	due_at       BIGINT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	lease_until  BIGINT,
	delivered_at BIGINT,
	given_up_at  BIGINT,
	last_error   TEXT NOT NULL DEFAULT ''
);
-- Pending notifications by due time: what the delivery workers claim.
CREATE INDEX notifications_pending ON notifications (due_at, id)
	WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX notifications_payment ON notifications (payment_id);
CREATE INDEX notifications_created ON notifications (created_at, id);

CREATE TABLE notification_attempts (
	notification_id TEXT NOT NULL REFERENCES notifications (id),
	number          INTEGER NOT NULL,
	at              BIGINT NOT NULL,
	duration_ms     BIGINT NOT NULL,
	outcome         TEXT NOT NULL,
	http_status     INTEGER NOT NULL,
	error           TEXT NOT NULL,
	PRIMARY KEY (notification_id, number)
);
