package ai.sandbox0.api.file;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code event} of a watch event frame. {@code invalidate} is a volume's only: its content was replaced
 * (a snapshot restored), so what a client knows of it is stale.
 */
public enum WatchEventKind {
    @JsonProperty("create") CREATE,
    @JsonProperty("write") WRITE,
    @JsonProperty("remove") REMOVE,
    @JsonProperty("rename") RENAME,
    @JsonProperty("chmod") CHMOD,
    @JsonProperty("invalidate") INVALIDATE
}
