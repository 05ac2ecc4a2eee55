package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code ProcessType}: a long-lived interpreter on a PTY, or one process per context. */
public enum ProcessType {
    @JsonProperty("repl") REPL,
    @JsonProperty("cmd") CMD
}
