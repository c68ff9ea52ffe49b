-- 0007_payment_sessions: checkout sessions (createPaymentSession). A session
-- is written once; its payment is the client's payment with the same
-- request_id, created when the buyer submits the checkout page. methods is
-- the allowed paymentMethodTypes joined by commas ('' for every method).
CREATE TABLE payment_sessions (
	session_id        TEXT NOT NULL PRIMARY KEY,
	client_id         TEXT NOT NULL,
	request_id        TEXT NOT NULL,
	product_code      TEXT NOT NULL DEFAULT '',
	product_scene     TEXT NOT NULL DEFAULT '',
	amount_value      INTEGER NOT NULL,
	amount_currency   TEXT NOT NULL,
	reference_id      TEXT NOT NULL DEFAULT '',
	order_description TEXT NOT NULL DEFAULT '',
	notify_url        TEXT NOT NULL DEFAULT '',
	redirect_url      TEXT NOT NULL DEFAULT '',
	is_authorization  INTEGER NOT NULL DEFAULT 0,
	capture_mode      TEXT NOT NULL DEFAULT '',
	methods           TEXT NOT NULL DEFAULT '',
	terminal_type     TEXT NOT NULL DEFAULT '',
	user_region       TEXT NOT NULL DEFAULT '',
	data              TEXT NOT NULL DEFAULT '',
	url               TEXT NOT NULL DEFAULT '',
	fingerprint       TEXT NOT NULL DEFAULT '',
	created_at        INTEGER,
	expires_at        INTEGER,
	UNIQUE (client_id, request_id)
) STRICT;
CREATE INDEX payment_sessions_created ON payment_sessions (created_at, session_id);
CREATE INDEX payment_sessions_client_created ON payment_sessions (client_id, created_at, session_id);
