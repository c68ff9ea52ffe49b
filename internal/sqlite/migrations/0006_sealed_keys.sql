-- 0006_sealed_keys: gateway private keys sealed at rest, as in PostgreSQL.
--
-- gateway_keys.private_key is the PKCS #8 DER as given when sealed is 0,
-- and when sealed is 1 the DER sealed under the key-encryption key (package
-- internal/seal): a format byte (1), a 12-byte nonce, then AES-256-GCM
-- ciphertext and tag, with the additional data "antomgw gateway key
-- v<version>". Existing keys stay plain until `antomgw keys seal`.
ALTER TABLE gateway_keys ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1));
