-- OIDC logins. Portable SQL: SQLite (embedded default) and PostgreSQL; times are epoch milliseconds (UTC).

-- An account at an OIDC provider linked to a user: the provider's subject identifies it, the email is the
-- one it had when linked (for the operator; logins go by subject).
CREATE TABLE user_identities (
    id         VARCHAR(36)  PRIMARY KEY,
    user_id    VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider   VARCHAR(64)  NOT NULL,
    subject    VARCHAR(255) NOT NULL,
    email      VARCHAR(320),
    created_at BIGINT       NOT NULL,
    UNIQUE (provider, subject)
);

CREATE INDEX user_identities_user ON user_identities (user_id, created_at);

-- A device login (RFC 8628) in progress: the server polls the provider with the device code for the CLI
-- that holds the id. Kept in the store so a restart does not break logins under way; completes once.
CREATE TABLE device_logins (
    id                        VARCHAR(36)   PRIMARY KEY,
    provider                  VARCHAR(64)   NOT NULL,
    device_code               VARCHAR(2048) NOT NULL,
    user_code                 VARCHAR(255)  NOT NULL,
    verification_uri          VARCHAR(2048) NOT NULL,
    verification_uri_complete VARCHAR(2048),
    interval_seconds          INTEGER       NOT NULL,
    expires_at                BIGINT        NOT NULL,
    consumed_at               BIGINT,
    created_at                BIGINT        NOT NULL
);

CREATE INDEX device_logins_expires ON device_logins (expires_at);

-- One-time codes a browser login hands to its web return URL, exchanged for tokens. Only a SHA-256
-- digest of the code is kept.
CREATE TABLE web_login_codes (
    code_digest CHAR(64)      PRIMARY KEY,
    user_id     VARCHAR(36)   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    return_url  VARCHAR(2048) NOT NULL,
    expires_at  BIGINT        NOT NULL,
    consumed_at BIGINT,
    created_at  BIGINT        NOT NULL
);

CREATE INDEX web_login_codes_expires ON web_login_codes (expires_at);
