package ai.sandbox0.api.service;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Function code run by the in-sandbox agent, once per request. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxFunction(
        FunctionRuntime runtime,
        // The Python callable; absent means "handler".
        String handler,
        SandboxFunctionSource source) {
}
