package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.tenancy.QuotaDimension;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** Team quota limits; a dimension without a row is unlimited. */
public final class QuotaStore {

    private final Jdbi jdbi;

    public QuotaStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<Long> limit(String teamId, QuotaDimension dimension) {
        return jdbi.withHandle(h -> h.createQuery("SELECT limit_value FROM team_quotas WHERE team_id = :team"
                        + " AND dimension = :dimension")
                .bind("team", teamId).bind("dimension", dimension.wire()).mapTo(Long.class).findOne());
    }

    /** Every limit the team has, in one query (what an admission reads). */
    public java.util.Map<QuotaDimension, Long> limits(String teamId) {
        var limits = new java.util.EnumMap<QuotaDimension, Long>(QuotaDimension.class);
        jdbi.useHandle(h -> h.createQuery("SELECT dimension, limit_value FROM team_quotas WHERE team_id = :team")
                .bind("team", teamId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                .forEach(e -> QuotaDimension.fromWire(e.getKey()).ifPresent(d -> limits.put(d, e.getValue()))));
        return limits;
    }

    /** Every team's limits in {@code dimensions}, in one query (what the egress proxy's admission caches). */
    public Map<String, Map<QuotaDimension, Long>> limitsIn(java.util.Set<QuotaDimension> dimensions) {
        var limits = new java.util.HashMap<String, Map<QuotaDimension, Long>>();
        if (dimensions.isEmpty()) {
            return limits;
        }
        jdbi.useHandle(h -> h.createQuery("SELECT team_id, dimension, limit_value FROM team_quotas WHERE dimension IN (<dimensions>)")
                .bindList("dimensions", dimensions.stream().map(QuotaDimension::wire).toList())
                .map((rs, ctx) -> new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3)})
                .forEach(row -> QuotaDimension.fromWire((String) row[1]).ifPresent(d -> limits
                        .computeIfAbsent((String) row[0], t -> new java.util.EnumMap<>(QuotaDimension.class))
                        .put(d, (Long) row[2]))));
        return limits;
    }

    /** Sets the limit (insert or replace, in one statement on both stores). */
    public void put(String teamId, QuotaDimension dimension, long limit, Instant now) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO team_quotas (team_id, dimension, limit_value, updated_at)"
                        + " VALUES (:team, :dimension, :limit, :now) ON CONFLICT (team_id, dimension)"
                        + " DO UPDATE SET limit_value = excluded.limit_value, updated_at = excluded.updated_at")
                .bind("team", teamId).bind("dimension", dimension.wire()).bind("limit", limit)
                .bind("now", now.toEpochMilli()).execute());
    }

    public void delete(String teamId, QuotaDimension dimension) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM team_quotas WHERE team_id = :team AND dimension = :dimension")
                .bind("team", teamId).bind("dimension", dimension.wire()).execute());
    }
}
