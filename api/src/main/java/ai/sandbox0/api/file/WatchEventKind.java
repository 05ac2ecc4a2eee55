package ai.sandbox0.api.file;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code event} of a watch event frame. */
public enum WatchEventKind {
    @JsonProperty("create") CREATE,
    @JsonProperty("write") WRITE,
    @JsonProperty("remove") REMOVE,
    @JsonProperty("rename") RENAME,
    @JsonProperty("chmod") CHMOD
}
