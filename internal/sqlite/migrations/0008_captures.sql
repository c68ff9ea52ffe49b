-- 0008_captures: authorisation and capture (paymentFactor.isAuthorization,
-- captureMode, the capture API).
--
-- payments: is_authorization is 1 for an authorisation; capture_mode is
-- AUTOMATIC or MANUAL for one ('' otherwise); auth_state is '' until the
-- authorisation succeeds, then AUTHORISED, PARTIALLY_CAPTURED, CAPTURED,
-- VOIDED or EXPIRED; auth_expires_at is authExpiryTime; captured sums the
-- successful captures and capturing those still PROCESSING, in minor units.
-- Existing payments are not authorisations: the defaults say so.
ALTER TABLE payments ADD COLUMN is_authorization INTEGER NOT NULL DEFAULT 0 CHECK (is_authorization IN (0, 1));
ALTER TABLE payments ADD COLUMN capture_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN auth_state TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN auth_expires_at INTEGER;
ALTER TABLE payments ADD COLUMN captured INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN capturing INTEGER NOT NULL DEFAULT 0;

-- One row per capture: the merchant's (captureRequestId is its idempotency
-- key, one capture per client and request id) and the gateway's own in
-- AUTOMATIC capture mode (request_id AUTO_<paymentId>).
CREATE TABLE captures (
	capture_id      TEXT NOT NULL PRIMARY KEY,
	client_id       TEXT NOT NULL,
	request_id      TEXT NOT NULL,
	payment_id      TEXT NOT NULL REFERENCES payments (payment_id),
	amount_value    INTEGER NOT NULL,
	amount_currency TEXT NOT NULL,
	is_last         INTEGER NOT NULL DEFAULT 0 CHECK (is_last IN (0, 1)),
	automatic       INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
	fingerprint     TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	result_code     TEXT NOT NULL DEFAULT '',
	result_message  TEXT NOT NULL DEFAULT '',
	created_at      INTEGER,
	updated_at      INTEGER,
	captured_at     INTEGER,
	UNIQUE (client_id, request_id)
) STRICT;
CREATE INDEX captures_payment_id ON captures (payment_id, created_at);
