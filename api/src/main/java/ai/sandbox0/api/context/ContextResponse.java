package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code ContextResponse}. {@code output_raw} only on create with wait; {@code exit_code} and
 * {@code state} iff the process has exited; {@code command} is sent by the upstream agent too.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"id", "type", "alias", "command", "cwd", "env_vars", "running", "paused", "created_at",
        "output_raw", "exit_code", "state"})
public record ContextResponse(
        String id,
        ProcessType type,
        String alias,
        List<String> command,
        String cwd,
        Map<String, String> envVars,
        boolean running,
        boolean paused,
        Instant createdAt,
        String outputRaw,
        Integer exitCode,
        ProcessState state) {
}
