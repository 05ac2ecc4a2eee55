-- Credential sources: a team's named secrets that egress auth injects on a sandbox's behalf. Every write
-- adds an immutable version; sandboxes' bindings pin one. Times are epoch milliseconds (UTC).
CREATE TABLE credential_sources (
    id              VARCHAR(36)  PRIMARY KEY,
    team_id         VARCHAR(36)  NOT NULL,
    name            VARCHAR(255) NOT NULL,
    resolver_kind   VARCHAR(64)  NOT NULL,
    current_version BIGINT       NOT NULL,
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    UNIQUE (team_id, name)
);

-- One row per write, never changed. storage_kind says where the material is: 'encrypted_pg' (upstream's
-- name, also on SQLite) is the ciphertext column, sealed with AES-256-GCM under the installation keyset
-- (key_id: the keyset key that sealed it; the ciphertext names it too). The resolver kind is the version's:
-- a PUT may change it, and a binding pinned to an older version reads that version as it was written.
CREATE TABLE credential_source_versions (
    source_id     VARCHAR(36) NOT NULL REFERENCES credential_sources (id) ON DELETE CASCADE,
    version       BIGINT      NOT NULL,
    resolver_kind VARCHAR(64) NOT NULL,
    storage_kind  VARCHAR(32) NOT NULL,
    key_id        VARCHAR(64) NOT NULL,
    -- Base64 of the sealed JSON object of the material's keys and values.
    ciphertext    TEXT        NOT NULL,
    created_at    BIGINT      NOT NULL,
    PRIMARY KEY (source_id, version)
);

-- Which source version each credential binding of a sandbox uses. The key to the version row (no cascade)
-- is what keeps a source from being deleted while a sandbox binds it.
CREATE TABLE sandbox_egress_credential_bindings (
    team_id           VARCHAR(36)  NOT NULL,
    sandbox_id        VARCHAR(63)  NOT NULL,
    ref               VARCHAR(255) NOT NULL,
    source_ref        VARCHAR(255) NOT NULL,
    source_id         VARCHAR(36)  NOT NULL,
    source_version    BIGINT       NOT NULL,
    projection_json   TEXT         NOT NULL,
    cache_policy_json TEXT,
    updated_at        BIGINT       NOT NULL,
    PRIMARY KEY (sandbox_id, ref),
    FOREIGN KEY (source_id, source_version) REFERENCES credential_source_versions (source_id, version)
);
CREATE INDEX sandbox_egress_credential_bindings_source ON sandbox_egress_credential_bindings (source_id);
