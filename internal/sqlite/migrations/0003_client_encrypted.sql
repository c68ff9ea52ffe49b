-- A client whose API traffic is encrypted gets its notifications encrypted
-- too (RSA_AES for its newest key).
ALTER TABLE clients ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;
