-- Egress and ingress bytes each team's sandboxes carried through the node's egress proxy, summed over all
-- time (the quota dimensions egress and ingress). The server counts in memory and writes each team's
-- running totals every few seconds; a write sets the totals, so writing one twice changes nothing.
CREATE TABLE team_traffic (
    team_id       VARCHAR(36) PRIMARY KEY,
    egress_bytes  BIGINT      NOT NULL,
    ingress_bytes BIGINT      NOT NULL,
    updated_at    BIGINT      NOT NULL
);

-- The egress proxy names a sandbox by the run serving it: which sandbox (and team) that is.
CREATE INDEX sandboxes_node_sandbox ON sandboxes (node_sandbox_id);
