-- Templates: the runtime blueprints sandboxes are claimed from. Public (builtin) templates have team_id ''.
CREATE TABLE templates (
    scope       VARCHAR(16)  NOT NULL,
    team_id     VARCHAR(36)  NOT NULL,
    template_id VARCHAR(255) NOT NULL,
    user_id     VARCHAR(36),
    spec        TEXT         NOT NULL,
    spec_hash   CHAR(64)     NOT NULL,
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL,
    PRIMARY KEY (scope, team_id, template_id)
);
