package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /api/v1/sandboxes}, newest first. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxList(
        List<SandboxSummary> sandboxes,
        // Total matches before limit and offset.
        int count,
        boolean hasMore) {

    public SandboxList {
        sandboxes = Copies.list(sandboxes);
    }
}
