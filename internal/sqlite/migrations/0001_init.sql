-- 0001_init: the whole schema of the first release.
--
-- Times are INTEGER Unix milliseconds (UTC). An optional time that is not set
-- (the zero time.Time) is NULL. jobs.due_at is never NULL: a job without a due
-- time stores the zero time's own Unix milliseconds (year 1), so it is due at
-- once and still reads back as the zero time. Money is an INTEGER value in
-- minor units next to its TEXT currency. Booleans are INTEGER 0 or 1.

CREATE TABLE clients (
	client_id  TEXT NOT NULL PRIMARY KEY,
	notify_url TEXT NOT NULL DEFAULT '',
	created_at INTEGER
) STRICT;

CREATE TABLE client_keys (
	client_id  TEXT NOT NULL REFERENCES clients (client_id),
	version    INTEGER NOT NULL,
	public_key BLOB NOT NULL,
	created_at INTEGER,
	retired_at INTEGER,
	PRIMARY KEY (client_id, version)
) STRICT;

CREATE TABLE gateway_keys (
	version     INTEGER NOT NULL PRIMARY KEY,
	private_key BLOB NOT NULL,
	created_at  INTEGER
) STRICT;

-- registry_version has exactly one row; every write to clients, client_keys
-- or gateway_keys bumps it in the same transaction, so a process that cached
-- the registry sees with one cheap read that it moved.
CREATE TABLE registry_version (
	id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
) STRICT;
INSERT INTO registry_version (id, version) VALUES (1, 0);

CREATE TABLE payments (
	payment_id      TEXT NOT NULL PRIMARY KEY,
	client_id       TEXT NOT NULL,
	request_id      TEXT NOT NULL,
	product_code    TEXT NOT NULL DEFAULT '',
	scenario        TEXT NOT NULL DEFAULT '',
	amount_value    INTEGER NOT NULL,
	amount_currency TEXT NOT NULL,
	method_type     TEXT NOT NULL DEFAULT '',
	method_id       TEXT NOT NULL DEFAULT '',
	notify_url      TEXT NOT NULL DEFAULT '',
	redirect_url    TEXT NOT NULL DEFAULT '',
	reference_id    TEXT NOT NULL DEFAULT '',
	fingerprint     TEXT NOT NULL DEFAULT '',
	action_url      TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	decided         INTEGER NOT NULL DEFAULT 0,
	result_code     TEXT NOT NULL DEFAULT '',
	result_message  TEXT NOT NULL DEFAULT '',
	created_at      INTEGER,
	updated_at      INTEGER,
	expires_at      INTEGER,
	paid_at         INTEGER,
	cancelled_at    INTEGER,
	refunded        INTEGER NOT NULL DEFAULT 0,
	UNIQUE (client_id, request_id)
) STRICT;

CREATE TABLE refunds (
	refund_id       TEXT NOT NULL PRIMARY KEY,
	client_id       TEXT NOT NULL,
	request_id      TEXT NOT NULL,
	payment_id      TEXT NOT NULL REFERENCES payments (payment_id),
	amount_value    INTEGER NOT NULL,
	amount_currency TEXT NOT NULL,
	reason          TEXT NOT NULL DEFAULT '',
	reference_id    TEXT NOT NULL DEFAULT '',
	notify_url      TEXT NOT NULL DEFAULT '',
	async           INTEGER NOT NULL DEFAULT 0,
	fingerprint     TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	result_code     TEXT NOT NULL DEFAULT '',
	result_message  TEXT NOT NULL DEFAULT '',
	created_at      INTEGER,
	updated_at      INTEGER,
	refunded_at     INTEGER,
	UNIQUE (client_id, request_id)
) STRICT;
CREATE INDEX refunds_payment_id ON refunds (payment_id, created_at);

CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	client_id   TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	due_at      INTEGER NOT NULL,
	status      TEXT NOT NULL DEFAULT '',
	code        TEXT NOT NULL DEFAULT '',
	message     TEXT NOT NULL DEFAULT '',
	attempts    INTEGER NOT NULL DEFAULT 0,
	lease_until INTEGER
) STRICT;
CREATE INDEX jobs_due_at ON jobs (due_at, id);
CREATE INDEX jobs_target_id ON jobs (target_id);

CREATE TABLE marks (
	key        TEXT NOT NULL PRIMARY KEY,
	created_at INTEGER
) STRICT;
