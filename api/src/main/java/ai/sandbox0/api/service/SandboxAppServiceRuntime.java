package ai.sandbox0.api.service;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;

/** How the process behind a service is started. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxAppServiceRuntime(
        ServiceRuntimeType type,
        // argv, for cmd services.
        List<String> command,
        String cwd,
        Map<String, String> envVars,
        // For function services.
        SandboxFunction function) {

    public SandboxAppServiceRuntime {
        command = Copies.list(command);
        envVars = Copies.map(envVars);
    }
}
