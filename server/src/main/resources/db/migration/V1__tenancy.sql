-- Users, teams and API keys. Portable SQL: SQLite (embedded default) and PostgreSQL.
-- Times are epoch milliseconds (UTC) so both databases store and compare them the same way.

CREATE TABLE installation (
    name  VARCHAR(64)  PRIMARY KEY,
    value VARCHAR(512) NOT NULL
);

CREATE TABLE users (
    id            VARCHAR(36)  PRIMARY KEY,
    email         VARCHAR(320) NOT NULL UNIQUE,
    name          VARCHAR(255) NOT NULL,
    password_hash VARCHAR(255),
    is_admin      BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);

CREATE TABLE teams (
    id             VARCHAR(36)  PRIMARY KEY,
    name           VARCHAR(255) NOT NULL,
    slug           VARCHAR(255) NOT NULL,
    owner_id       VARCHAR(36)  REFERENCES users (id),
    home_region_id VARCHAR(64),
    created_at     BIGINT       NOT NULL,
    updated_at     BIGINT       NOT NULL
);

CREATE TABLE team_members (
    team_id   VARCHAR(36) NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      VARCHAR(32) NOT NULL,
    joined_at BIGINT      NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

-- Only a SHA-256 digest of each key is kept; the key itself is shown once, at creation.
CREATE TABLE api_keys (
    id           VARCHAR(36)  PRIMARY KEY,
    key_hash     CHAR(64)     NOT NULL UNIQUE,
    key_prefix   VARCHAR(32)  NOT NULL,
    name         VARCHAR(255) NOT NULL,
    team_id      VARCHAR(36)  NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id      VARCHAR(36)  REFERENCES users (id) ON DELETE SET NULL,
    created_by   VARCHAR(36)  NOT NULL,
    scope        VARCHAR(16)  NOT NULL,
    roles        VARCHAR(255) NOT NULL,
    is_active    BOOLEAN      NOT NULL,
    expires_at   BIGINT       NOT NULL,
    last_used_at BIGINT,
    usage_count  BIGINT       NOT NULL DEFAULT 0,
    created_at   BIGINT       NOT NULL,
    updated_at   BIGINT       NOT NULL
);

CREATE INDEX api_keys_team ON api_keys (team_id);
