package ai.sandbox0.server.egress;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * Each team's egress and ingress byte totals in the store ({@code team_traffic}). Writes set the totals rather
 * than add to them: one server drives a store, so its memory holds the truth and a repeated write is harmless.
 */
public final class TrafficStore {

    /** Bytes a team's sandboxes sent ({@code egress}) and received ({@code ingress}), over all time. */
    public record Totals(long egress, long ingress) {
        public static final Totals ZERO = new Totals(0, 0);
    }

    private final Jdbi jdbi;

    public TrafficStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Every team's totals (one row per team that ever had traffic). */
    public Map<String, Totals> all() {
        var totals = new HashMap<String, Totals>();
        jdbi.useHandle(h -> h.createQuery("SELECT team_id, egress_bytes, ingress_bytes FROM team_traffic")
                .map((rs, ctx) -> Map.entry(rs.getString(1), new Totals(rs.getLong(2), rs.getLong(3))))
                .forEach(e -> totals.put(e.getKey(), e.getValue())));
        return totals;
    }

    public Totals of(String teamId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT egress_bytes, ingress_bytes FROM team_traffic WHERE team_id = :team")
                .bind("team", teamId).map((rs, ctx) -> new Totals(rs.getLong(1), rs.getLong(2))).findOne())
                .orElse(Totals.ZERO);
    }

    /** Sets the teams' totals in one transaction: all of them are written, or none. */
    public void put(Map<String, Totals> totals, Instant now) {
        if (totals.isEmpty()) {
            return;
        }
        jdbi.useTransaction(h -> {
            var batch = h.prepareBatch("INSERT INTO team_traffic (team_id, egress_bytes, ingress_bytes, updated_at)"
                    + " VALUES (:team, :egress, :ingress, :now) ON CONFLICT (team_id) DO UPDATE SET"
                    + " egress_bytes = excluded.egress_bytes, ingress_bytes = excluded.ingress_bytes,"
                    + " updated_at = excluded.updated_at");
            totals.forEach((team, t) -> batch.bind("team", team).bind("egress", t.egress()).bind("ingress", t.ingress())
                    .bind("now", now.toEpochMilli()).add());
            batch.execute();
        });
    }
}
