-- Where each volume's sealed state is in the volume object store: the digest of its newest manifest,
-- advanced only by compare-and-set on seq, so two sealers (or a sealer and a restore) cannot both win.
CREATE TABLE volume_heads (
    volume_id VARCHAR(36) PRIMARY KEY,
    seq       BIGINT      NOT NULL,
    manifest  VARCHAR(80) NOT NULL,
    sealed_at BIGINT      NOT NULL
);

-- A snapshot's state in the object store, so it outlives the node that took it.
ALTER TABLE volume_snapshots ADD COLUMN manifest VARCHAR(80);
