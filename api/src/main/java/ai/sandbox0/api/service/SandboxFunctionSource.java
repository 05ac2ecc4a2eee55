package ai.sandbox0.api.service;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The source of a function. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxFunctionSource(
        FunctionSourceType type,
        // At most 256 KiB.
        String code) {
}
