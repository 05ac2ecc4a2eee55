package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code ContextExecResponse}: exit code and state only when the process has exited. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"output_raw", "exit_code", "state"})
public record ContextExecResponse(String outputRaw, Integer exitCode, ProcessState state) {
}
