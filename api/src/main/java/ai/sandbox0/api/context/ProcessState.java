package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Process states of a context; the last three are final and carry an exit code. */
public enum ProcessState {
    @JsonProperty("created") CREATED,
    @JsonProperty("starting") STARTING,
    @JsonProperty("running") RUNNING,
    @JsonProperty("paused") PAUSED,
    @JsonProperty("stopped") STOPPED,
    @JsonProperty("killed") KILLED,
    @JsonProperty("crashed") CRASHED;

    /** Upstream rule: exit 0 → stopped, -1 (signal) or 137 → killed, other non-zero → crashed. */
    public static ProcessState ofExitCode(int exitCode) {
        return switch (exitCode) {
            case 0 -> STOPPED;
            case -1, 137 -> KILLED;
            default -> CRASHED;
        };
    }
}
