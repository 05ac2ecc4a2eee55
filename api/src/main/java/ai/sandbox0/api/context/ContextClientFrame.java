package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Client → server frames of the context WebSocket (§5.5). The official SDK sends {@code requestId},
 * the spec {@code request_id}: both are read. Frames of another type, and text that is not JSON, are
 * raw stdin bytes; deciding that is the receiver's job, since it needs the original text.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ContextClientFrame.Input.class, name = "input"),
        @JsonSubTypes.Type(value = ContextClientFrame.Resize.class, name = "resize"),
        @JsonSubTypes.Type(value = ContextClientFrame.Signal.class, name = "signal")})
public sealed interface ContextClientFrame {

    @JsonProperty("type")
    String type();

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"type", "data", "request_id"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Input(String data, @JsonAlias("requestId") String requestId) implements ContextClientFrame {
        @Override
        public String type() {
            return "input";
        }
    }

    @JsonPropertyOrder({"type", "rows", "cols"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Resize(Integer rows, Integer cols) implements ContextClientFrame {
        @Override
        public String type() {
            return "resize";
        }
    }

    @JsonPropertyOrder({"type", "signal"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Signal(String signal) implements ContextClientFrame {
        @Override
        public String type() {
            return "signal";
        }
    }
}
