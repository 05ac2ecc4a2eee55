package ai.sandbox0.server.template;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** Templates in the store. Specs are kept as their JSON, exactly as the API shows them. */
public final class TemplateStore {

    private static final String COLUMNS = "scope, team_id, template_id, user_id, spec, spec_hash, created_at, updated_at";

    private final Jdbi jdbi;

    public TemplateStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<StoredTemplate> find(TemplateScope scope, String teamId, String templateId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS
                        + " FROM templates WHERE scope = :scope AND team_id = :team AND template_id = :id")
                .bind("scope", scope.wire()).bind("team", teamId).bind("id", templateId)
                .map(TemplateStore::map).findOne());
    }

    /** The team's own template of that id if it has one, else the public one. */
    public Optional<StoredTemplate> resolve(String teamId, String templateId) {
        return find(TemplateScope.TEAM, teamId, templateId).or(() -> find(TemplateScope.PUBLIC, "", templateId));
    }

    /** Public templates and the team's, ordered by scope then id. */
    public List<StoredTemplate> visibleTo(String teamId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM templates"
                        + " WHERE scope = 'public' OR (scope = 'team' AND team_id = :team) ORDER BY scope, template_id")
                .bind("team", teamId).map(TemplateStore::map).list());
    }

    public List<StoredTemplate> all() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM templates ORDER BY scope, team_id, template_id")
                .map(TemplateStore::map).list());
    }

    /** Inserts; false when a template with that key exists already. */
    public boolean insert(StoredTemplate t) {
        return jdbi.withHandle(h -> h.createUpdate("INSERT INTO templates (" + COLUMNS + ") VALUES"
                        + " (:scope, :team, :id, :user, :spec, :hash, :created, :updated) ON CONFLICT DO NOTHING")
                .bind("scope", t.scope().wire()).bind("team", t.teamId()).bind("id", t.templateId())
                .bind("user", t.userId()).bind("spec", Json.writeString(t.spec())).bind("hash", t.specHash())
                .bind("created", t.createdAt().toEpochMilli()).bind("updated", t.updatedAt().toEpochMilli())
                .execute()) == 1;
    }

    /** Replaces the spec; false when there is no such template. */
    public boolean replaceSpec(TemplateScope scope, String teamId, String templateId, SandboxTemplateSpec spec, Instant now) {
        return jdbi.withHandle(h -> h.createUpdate("UPDATE templates SET spec = :spec, spec_hash = :hash, updated_at = :now"
                        + " WHERE scope = :scope AND team_id = :team AND template_id = :id")
                .bind("spec", Json.writeString(spec)).bind("hash", hash(spec)).bind("now", now.toEpochMilli())
                .bind("scope", scope.wire()).bind("team", teamId).bind("id", templateId)
                .execute()) == 1;
    }

    public boolean delete(TemplateScope scope, String teamId, String templateId) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM templates WHERE scope = :scope AND team_id = :team AND template_id = :id")
                .bind("scope", scope.wire()).bind("team", teamId).bind("id", templateId)
                .execute()) == 1;
    }

    /** The content hash of a spec: the SHA-256 of its JSON as stored. */
    public static String hash(SandboxTemplateSpec spec) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Json.writeString(spec).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static StoredTemplate map(ResultSet rs, StatementContext ctx) throws SQLException {
        SandboxTemplateSpec spec;
        try {
            spec = Json.mapper().readValue(rs.getString("spec"), SandboxTemplateSpec.class);
        } catch (JsonProcessingException e) {
            throw new SQLException("template spec in the store is not readable: " + e.getOriginalMessage(), e);
        }
        return new StoredTemplate(
                TemplateScope.fromWire(rs.getString("scope")),
                rs.getString("team_id"),
                rs.getString("template_id"),
                rs.getString("user_id"),
                spec,
                rs.getString("spec_hash"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
