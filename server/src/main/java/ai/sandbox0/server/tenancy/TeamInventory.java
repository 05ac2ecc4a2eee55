package ai.sandbox0.server.tenancy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/** What a team still holds, by kind (only kinds it has): deleting the team would orphan these. */
public final class TeamInventory {

    private static final Map<String, String> COUNTS = Map.of(
            // Not those being deleted: their teardown finishes without the team.
            "sandboxes", "SELECT COUNT(*) FROM sandboxes WHERE team_id = :team AND status <> 'terminating'",
            "templates", "SELECT COUNT(*) FROM templates WHERE team_id = :team",
            "rootfs_snapshots", "SELECT COUNT(*) FROM rootfs_snapshots WHERE team_id = :team",
            // Their secrets are sealed for the team: deleted with it they would be orphaned ciphertext.
            "credential_sources", "SELECT COUNT(*) FROM credential_sources WHERE team_id = :team");

    private final Jdbi jdbi;

    public TeamInventory(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Map<String, Integer> of(String teamId) {
        var held = new LinkedHashMap<String, Integer>();
        jdbi.useHandle(h -> COUNTS.forEach((kind, sql) -> {
            int count = h.createQuery(sql).bind("team", teamId).mapTo(Integer.class).one();
            if (count > 0) {
                held.put(kind, count);
            }
        }));
        return held;
    }
}
