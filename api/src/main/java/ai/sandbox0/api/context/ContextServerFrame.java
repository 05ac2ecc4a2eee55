package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Server → client frames of the context WebSocket (§5.5): {@code output}, and {@code done} either for
 * one REPL input ({@code request_id}) or for the process ({@code exit_code} and {@code state}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ContextServerFrame.Output.class, name = "output"),
        @JsonSubTypes.Type(value = ContextServerFrame.Done.class, name = "done")})
public sealed interface ContextServerFrame {

    @JsonProperty("type")
    String type();

    @JsonPropertyOrder({"type", "source", "data"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Output(OutputSource source, String data) implements ContextServerFrame {
        @Override
        public String type() {
            return "output";
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"type", "request_id", "exit_code", "state"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Done(String requestId, Integer exitCode, ProcessState state) implements ContextServerFrame {

        public static Done request(String requestId) {
            return new Done(requestId, null, null);
        }

        public static Done exit(int exitCode, ProcessState state) {
            return new Done(null, exitCode, state);
        }

        @Override
        public String type() {
            return "done";
        }
    }
}
