-- The notification outbox: rows written in the same transaction as the
-- state change that causes them, and every delivery attempt.
CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payment_id   TEXT NOT NULL,
    refund_id    TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER,
    delivered_at INTEGER,
    given_up_at  INTEGER,
    last_error   TEXT NOT NULL DEFAULT ''
);
-- Pending notifications by due time: what the delivery worker claims.
CREATE INDEX notifications_pending ON notifications (due_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX notifications_payment ON notifications (payment_id);
CREATE INDEX notifications_created ON notifications (created_at);

CREATE TABLE notification_attempts (
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    number          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    http_status     INTEGER NOT NULL,
    error           TEXT NOT NULL,
    PRIMARY KEY (notification_id, number)
);
