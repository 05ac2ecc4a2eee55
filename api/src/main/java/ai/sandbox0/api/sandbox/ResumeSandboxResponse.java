package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The payload of {@code POST …/resume}, which returns once the sandbox runs. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ResumeSandboxResponse(
        String sandboxId,
        boolean resumed,
        String restoredMemory) {
}
