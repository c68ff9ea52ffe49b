-- 0005_payment_list: the operator's payment listing, newest first, for all
-- clients or one.
CREATE INDEX payments_created ON payments (created_at, payment_id);
CREATE INDEX payments_client_created ON payments (client_id, created_at, payment_id);
