package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.server.template.TemplateScope;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Sandboxes in the store. Every state change is a compare-and-set on the status it was decided from,
 * so two actors (an API call and the TTL reaper, or two server replicas) cannot both apply one.
 */
public final class SandboxStore {

    private static final String COLUMNS = "id, team_id, user_id, template_id, template_scope, spec, config, status,"
            + " status_reason, runtime_generation, node_sandbox_id, rootfs, expires_at, hard_expires_at, claimed_at,"
            + " created_at, updated_at";

    private final Jdbi jdbi;

    public SandboxStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public void insert(SandboxRecord s) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO sandboxes (" + COLUMNS + ") VALUES (:id, :team, :user, :template,"
                        + " :scope, :spec, :config, :status, :reason, :generation, :node, :rootfs, :expires, :hardExpires,"
                        + " :claimed, :created, :updated)")
                .bindMap(bindings(s))
                .execute());
    }

    public Optional<SandboxRecord> find(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandboxes WHERE id = :id")
                .bind("id", id).map(SandboxStore::map).findOne());
    }

    /** Writes {@code next} if the stored status is still {@code expected}; false when someone else moved it. */
    public boolean update(SandboxRecord next, SandboxLifecycleStatus expected) {
        var values = bindings(next);
        values.put("expected", expected.wire());
        return jdbi.withHandle(h -> h.createUpdate("UPDATE sandboxes SET user_id = :user, spec = :spec, config = :config,"
                        + " status = :status, status_reason = :reason, runtime_generation = :generation,"
                        + " node_sandbox_id = :node, rootfs = :rootfs, expires_at = :expires, hard_expires_at = :hardExpires,"
                        + " updated_at = :updated WHERE id = :id AND status = :expected")
                .bindMap(values)
                .execute()) == 1;
    }

    public boolean delete(String id) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM sandboxes WHERE id = :id").bind("id", id).execute()) == 1;
    }

    /** One page of a team's sandboxes (not those being deleted), newest first, and the number of matches before paging. */
    public Page list(String teamId, SandboxLifecycleStatus status, String templateId, Boolean paused, int limit, int offset) {
        // Terminating sandboxes were deleted: their teardown is the host's business, not the team's.
        var where = new StringBuilder(" WHERE team_id = :team AND status <> 'terminating'");
        if (status != null) {
            where.append(" AND status = :status");
        }
        if (templateId != null) {
            where.append(" AND template_id = :template");
        }
        if (paused != null) {
            where.append(paused ? " AND status = 'paused' AND node_sandbox_id IS NULL"
                    : " AND NOT (status = 'paused' AND node_sandbox_id IS NULL)");
        }
        return jdbi.withHandle(h -> {
            Query count = h.createQuery("SELECT COUNT(*) FROM sandboxes" + where);
            Query page = h.createQuery("SELECT " + COLUMNS + " FROM sandboxes" + where
                    + " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset");
            for (Query q : List.of(count, page)) {
                q.bind("team", teamId);
                if (status != null) {
                    q.bind("status", status.wire());
                }
                if (templateId != null) {
                    q.bind("template", templateId);
                }
            }
            int total = count.mapTo(Integer.class).one();
            List<SandboxRecord> items = page.bind("limit", limit).bind("offset", offset).map(SandboxStore::map).list();
            return new Page(items, total);
        });
    }

    /** A team's sandboxes in any of {@code statuses}: what its quotas count. */
    public List<SandboxRecord> activeOf(String teamId, Collection<SandboxLifecycleStatus> statuses) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandboxes WHERE team_id = :team"
                        + " AND status IN (<statuses>)")
                .bind("team", teamId)
                .bindList("statuses", statuses.stream().map(SandboxLifecycleStatus::wire).toList())
                .map(SandboxStore::map).list());
    }

    /** Sandboxes in any of {@code statuses}, for recovery after a restart and for the reaper. */
    public List<SandboxRecord> inStatus(Collection<SandboxLifecycleStatus> statuses) {
        if (statuses.isEmpty()) {
            return List.of();
        }
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandboxes WHERE status IN (<statuses>)")
                .bindList("statuses", statuses.stream().map(SandboxLifecycleStatus::wire).toList())
                .map(SandboxStore::map).list());
    }

    /** Sandboxes whose soft or hard deadline has passed at {@code now}. */
    public List<SandboxRecord> expiredAt(Instant now) {
        long millis = now.toEpochMilli();
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandboxes WHERE"
                        + " (hard_expires_at > 0 AND hard_expires_at <= :now)"
                        + " OR (expires_at > 0 AND expires_at <= :now AND status = 'running')")
                .bind("now", millis).map(SandboxStore::map).list());
    }

    /** Running sandboxes claimed from one template. */
    public int countRunning(TemplateScope scope, String templateTeam, String templateId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM sandboxes WHERE status = 'running'"
                        + " AND template_scope = :scope AND template_id = :template"
                        + (scope == TemplateScope.TEAM ? " AND team_id = :team" : ""))
                .bind("scope", scope.wire()).bind("template", templateId).bind("team", templateTeam)
                .mapTo(Integer.class).one());
    }

    /** Every rootfs chain still referenced, as JSON, for layer garbage collection. */
    public List<String> referencedChains() {
        return jdbi.withHandle(h -> {
            var chains = new ArrayList<String>(h.createQuery("SELECT rootfs FROM sandboxes").mapTo(String.class).list());
            chains.addAll(h.createQuery("SELECT rootfs FROM rootfs_snapshots").mapTo(String.class).list());
            return chains;
        });
    }

    /** A page of results and the total they were taken from. */
    public record Page(List<SandboxRecord> items, int total) {
    }

    private static Map<String, Object> bindings(SandboxRecord s) {
        var values = new HashMap<String, Object>();
        values.put("id", s.id());
        values.put("team", s.teamId());
        values.put("user", s.userId());
        values.put("template", s.templateId());
        values.put("scope", s.templateScope().wire());
        values.put("spec", Json.writeString(s.spec()));
        values.put("config", Json.writeString(s.config()));
        values.put("status", s.status().wire());
        values.put("reason", s.statusReason());
        values.put("generation", s.runtimeGeneration());
        values.put("node", s.nodeSandboxId());
        values.put("rootfs", RootfsChains.toJson(s.rootfs()));
        values.put("expires", millis(s.expiresAt()));
        values.put("hardExpires", millis(s.hardExpiresAt()));
        values.put("claimed", s.claimedAt().toEpochMilli());
        values.put("created", s.createdAt().toEpochMilli());
        values.put("updated", s.updatedAt().toEpochMilli());
        return values;
    }

    private static long millis(Instant instant) {
        return instant == null ? 0 : instant.toEpochMilli();
    }

    private static Instant instant(long millis) {
        return millis == 0 ? null : Instant.ofEpochMilli(millis);
    }

    private static SandboxRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        try {
            return new SandboxRecord(
                    rs.getString("id"),
                    rs.getString("team_id"),
                    rs.getString("user_id"),
                    rs.getString("template_id"),
                    TemplateScope.fromWire(rs.getString("template_scope")),
                    Json.mapper().readValue(rs.getString("spec"), SandboxTemplateSpec.class),
                    Json.mapper().readValue(rs.getString("config"), SandboxConfig.class),
                    SandboxLifecycleStatus.fromWire(rs.getString("status"))
                            .orElseThrow(() -> new SQLException("unknown sandbox status in store")),
                    rs.getString("status_reason"),
                    rs.getLong("runtime_generation"),
                    rs.getString("node_sandbox_id"),
                    RootfsChains.fromJson(rs.getString("rootfs")),
                    instant(rs.getLong("expires_at")),
                    instant(rs.getLong("hard_expires_at")),
                    Instant.ofEpochMilli(rs.getLong("claimed_at")),
                    Instant.ofEpochMilli(rs.getLong("created_at")),
                    Instant.ofEpochMilli(rs.getLong("updated_at")));
        } catch (JsonProcessingException | UncheckedIOException e) {
            throw new SQLException("sandbox " + rs.getString("id") + " in the store is not readable: " + e.getMessage(), e);
        }
    }
}
