package ai.sandbox0.server.identity;

import ai.sandbox0.api.tenancy.Team;
import java.time.Instant;

/** A stored team. */
public record TeamRecord(String id, String name, String slug, String ownerId, String homeRegionId, Instant createdAt,
        Instant updatedAt) {

    public Team view() {
        return new Team(id, name, slug, ownerId, homeRegionId, createdAt, updatedAt);
    }
}
