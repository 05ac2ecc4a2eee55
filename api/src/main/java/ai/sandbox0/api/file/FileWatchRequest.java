package ai.sandbox0.api.file;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Client → server frames of the file watch WebSocket (§6.1), told apart by {@code action}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "action")
@JsonSubTypes({
        @JsonSubTypes.Type(value = FileWatchRequest.Subscribe.class, name = "subscribe"),
        @JsonSubTypes.Type(value = FileWatchRequest.Unsubscribe.class, name = "unsubscribe")})
public sealed interface FileWatchRequest {

    @JsonProperty("action")
    String action();

    /** {@code recursive} defaults to false. */
    @JsonPropertyOrder({"action", "path", "recursive"})
    @JsonIgnoreProperties(value = "action", allowGetters = true)
    record Subscribe(String path, Boolean recursive) implements FileWatchRequest {
        @Override
        public String action() {
            return "subscribe";
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"action", "watch_id"})
    @JsonIgnoreProperties(value = "action", allowGetters = true)
    record Unsubscribe(String watchId) implements FileWatchRequest {
        @Override
        public String action() {
            return "unsubscribe";
        }
    }
}
