-- User sessions and profiles. Portable SQL: SQLite (embedded default) and PostgreSQL.

ALTER TABLE users ADD COLUMN avatar_url VARCHAR(2048);
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per login: the access and refresh tokens of a login carry its id. Only a SHA-256 digest of the
-- current refresh token is kept; refreshing replaces it, so a refresh token works once.
CREATE TABLE auth_sessions (
    id             VARCHAR(64) PRIMARY KEY,
    user_id        VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_digest CHAR(64)    NOT NULL UNIQUE,
    created_at     BIGINT      NOT NULL,
    refreshed_at   BIGINT      NOT NULL,
    expires_at     BIGINT      NOT NULL,
    revoked_at     BIGINT
);

CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

-- Memberships get ids of their own (the API shows one); rows from before keep a derived one.
ALTER TABLE team_members ADD COLUMN id VARCHAR(80);
UPDATE team_members SET id = team_id || '.' || user_id;
CREATE INDEX team_members_user ON team_members (user_id);
CREATE INDEX teams_owner ON teams (owner_id);
