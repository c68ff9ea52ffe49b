-- 0005_captures: authorisation and capture; the same columns and table as
-- the SQLite store's 0008_captures.
--
-- payments: is_authorization is true for an authorisation; capture_mode is
-- AUTOMATIC or MANUAL for one ('' otherwise); auth_state is '' until the
-- authorisation succeeds, then AUTHORISED, PARTIALLY_CAPTURED, CAPTURED,
-- VOIDED or EXPIRED; auth_expires_at is authExpiryTime; captured sums the
-- successful captures and capturing those still PROCESSING, in minor units.
-- Existing payments are not authorisations: the defaults say so.
ALTER TABLE payments
	ADD COLUMN is_authorization BOOLEAN NOT NULL DEFAULT false,
	ADD COLUMN capture_mode     TEXT NOT NULL DEFAULT '',
	ADD COLUMN auth_state       TEXT NOT NULL DEFAULT '',
	ADD COLUMN auth_expires_at  BIGINT,
	ADD COLUMN captured         BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN capturing        BIGINT NOT NULL DEFAULT 0;

-- One row per capture: the merchant's (captureRequestId is its idempotency
-- key, one capture per client and request id) and the gateway's own in
-- AUTOMATIC capture mode (request_id AUTO_<paymentId>).
CREATE TABLE captures (
	capture_id      TEXT NOT NULL PRIMARY KEY,
	-- seq is the insertion order, the tie-break of "oldest first" (SQLite's
	-- rowid).
	seq             BIGINT GENERATED ALWAYS AS IDENTITY,
	client_id       TEXT NOT NULL,
	request_id      TEXT NOT NULL,
	payment_id      TEXT NOT NULL REFERENCES payments (payment_id),
	amount_value    BIGINT NOT NULL,
	amount_currency TEXT NOT NULL,
	is_last         BOOLEAN NOT NULL DEFAULT false,
	automatic       BOOLEAN NOT NULL DEFAULT false,
	fingerprint     TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	result_code     TEXT NOT NULL DEFAULT '',
	result_message  TEXT NOT NULL DEFAULT '',
	created_at      BIGINT,
	updated_at      BIGINT,
	captured_at     BIGINT,
	CONSTRAINT captures_request UNIQUE (client_id, request_id)
);
CREATE INDEX captures_payment_id ON captures (payment_id, created_at, seq);
