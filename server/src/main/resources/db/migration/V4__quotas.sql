-- Team quotas (spec §8.4): a limit per team and dimension; no row means unlimited.
CREATE TABLE team_quotas (
    team_id     VARCHAR(36) NOT NULL,
    dimension   VARCHAR(32) NOT NULL,
    limit_value BIGINT      NOT NULL,
    updated_at  BIGINT      NOT NULL,
    PRIMARY KEY (team_id, dimension)
);
