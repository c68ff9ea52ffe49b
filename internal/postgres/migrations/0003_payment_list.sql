-- 0003_payment_list: the operator's payment listing, newest first, for all
-- clients or one; the same indexes as the SQLite store's 0005_payment_list.
CREATE INDEX payments_created ON payments (created_at, payment_id);
CREATE INDEX payments_client_created ON payments (client_id, created_at, payment_id);
