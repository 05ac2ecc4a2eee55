package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.time.Instant;
import java.util.List;

/** Pool counters of a template. camelCase, like the spec. */
public record SandboxTemplateStatus(
        // Ready idle sandboxes in the pool.
        Integer idleCount,
        // Claimed, running sandboxes.
        Integer activeCount,
        List<SandboxTemplateCondition> conditions,
        Instant lastUpdateTime) {

    public SandboxTemplateStatus {
        conditions = Copies.list(conditions);
    }
}
