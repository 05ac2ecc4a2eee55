package ai.sandbox0.api.file;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Server → client frames of the file watch WebSocket (§6.1). */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = FileWatchResponse.Subscribed.class, name = "subscribed"),
        @JsonSubTypes.Type(value = FileWatchResponse.Event.class, name = "event"),
        @JsonSubTypes.Type(value = FileWatchResponse.Unsubscribed.class, name = "unsubscribed"),
        @JsonSubTypes.Type(value = FileWatchResponse.Error.class, name = "error")})
public sealed interface FileWatchResponse {

    @JsonProperty("type")
    String type();

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"type", "watch_id", "path"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Subscribed(String watchId, String path) implements FileWatchResponse {
        @Override
        public String type() {
            return "subscribed";
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"type", "watch_id", "event", "path"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Event(String watchId, WatchEventKind event, String path) implements FileWatchResponse {
        @Override
        public String type() {
            return "event";
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"type", "watch_id"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Unsubscribed(String watchId) implements FileWatchResponse {
        @Override
        public String type() {
            return "unsubscribed";
        }
    }

    @JsonPropertyOrder({"type", "error"})
    @JsonIgnoreProperties(value = "type", allowGetters = true)
    record Error(String error) implements FileWatchResponse {
        @Override
        public String type() {
            return "error";
        }
    }
}
