-- Users' SSH public keys. The SSH gateway finds the user by the key presented, so a key (its SHA-256
-- fingerprint) belongs to one user in the whole installation. Times are epoch milliseconds (UTC).
CREATE TABLE ssh_public_keys (
    id          VARCHAR(36)  PRIMARY KEY,
    user_id     VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        VARCHAR(255) NOT NULL,
    key_type    VARCHAR(64)  NOT NULL,
    -- The normalised line: "<type> <base64>[ <comment>]".
    public_key  TEXT         NOT NULL,
    fingerprint VARCHAR(64)  NOT NULL UNIQUE,
    comment     TEXT,
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL
);

CREATE INDEX ssh_public_keys_user ON ssh_public_keys (user_id, created_at);
