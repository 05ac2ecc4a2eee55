-- Sandbox volumes (durable storage that outlives sandboxes), their snapshots, and which sandboxes mount
-- them. A row in state 'creating' or 'deleting' is an operation a crash interrupted: startup finishes it
-- (the node's data is made or removed idempotently) before the API answers for it.
CREATE TABLE sandbox_volumes (
    id                VARCHAR(36)  PRIMARY KEY,
    team_id           VARCHAR(36)  NOT NULL,
    user_id           VARCHAR(36),
    source_volume_id  VARCHAR(36),
    default_posix_uid BIGINT       NOT NULL,
    default_posix_gid BIGINT       NOT NULL,
    access_mode       VARCHAR(8)   NOT NULL,
    state             VARCHAR(16)  NOT NULL,
    size_bytes        BIGINT       NOT NULL DEFAULT 0,
    created_at        BIGINT       NOT NULL,
    updated_at        BIGINT       NOT NULL
);
CREATE INDEX sandbox_volumes_team_created ON sandbox_volumes (team_id, created_at);

CREATE TABLE volume_snapshots (
    id          VARCHAR(36)   PRIMARY KEY,
    volume_id   VARCHAR(36)   NOT NULL,
    team_id     VARCHAR(36)   NOT NULL,
    name        VARCHAR(255)  NOT NULL,
    description VARCHAR(4096),
    state       VARCHAR(16)   NOT NULL,
    size_bytes  BIGINT        NOT NULL DEFAULT 0,
    created_at  BIGINT        NOT NULL,
    expires_at  BIGINT
);
CREATE INDEX volume_snapshots_volume ON volume_snapshots (volume_id, created_at);

-- A sandbox's claim on a volume, from claim until the sandbox is deleted (paused ones keep theirs: they
-- mount it again on resume). At most one writable row per RWO volume.
CREATE TABLE volume_mounts (
    volume_id   VARCHAR(36)   NOT NULL,
    sandbox_id  VARCHAR(63)   NOT NULL,
    mount_point VARCHAR(4096) NOT NULL,
    read_only   BOOLEAN       NOT NULL,
    created_at  BIGINT        NOT NULL,
    PRIMARY KEY (volume_id, sandbox_id)
);
CREATE INDEX volume_mounts_sandbox ON volume_mounts (sandbox_id);
