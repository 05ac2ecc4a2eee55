-- Sandboxes: durable identity and configuration across runtime generations, and the rootfs each one
-- resumes from. A rootfs is a layer chain (JSON list of OCI layer descriptors, lowest first): image
-- layers, then checkpoint layers. Forks and snapshots copy the chain; layers are shared and immutable.
CREATE TABLE sandboxes (
    id                 VARCHAR(63)   PRIMARY KEY,
    team_id            VARCHAR(36)   NOT NULL,
    user_id            VARCHAR(36),
    template_id        VARCHAR(255)  NOT NULL,
    template_scope     VARCHAR(16)   NOT NULL,
    spec               TEXT          NOT NULL,
    config             TEXT          NOT NULL,
    status             VARCHAR(16)   NOT NULL,
    status_reason      VARCHAR(1024),
    runtime_generation BIGINT        NOT NULL,
    node_sandbox_id    VARCHAR(64),
    rootfs             TEXT          NOT NULL,
    expires_at         BIGINT        NOT NULL,
    hard_expires_at    BIGINT        NOT NULL,
    claimed_at         BIGINT        NOT NULL,
    created_at         BIGINT        NOT NULL,
    updated_at         BIGINT        NOT NULL
);
CREATE INDEX sandboxes_team_created ON sandboxes (team_id, created_at);
CREATE INDEX sandboxes_expiry ON sandboxes (expires_at, hard_expires_at);

CREATE TABLE rootfs_snapshots (
    id                VARCHAR(64)   PRIMARY KEY,
    team_id           VARCHAR(36)   NOT NULL,
    source_sandbox_id VARCHAR(63)   NOT NULL,
    rootfs            TEXT          NOT NULL,
    name              VARCHAR(255),
    description       VARCHAR(4096),
    expires_at        BIGINT        NOT NULL,
    created_at        BIGINT        NOT NULL
);
CREATE INDEX rootfs_snapshots_source ON rootfs_snapshots (source_sandbox_id);
