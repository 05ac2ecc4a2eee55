package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code source} of an output frame: pipes of a command, or the terminal of a REPL. */
public enum OutputSource {
    @JsonProperty("stdout") STDOUT,
    @JsonProperty("stderr") STDERR,
    @JsonProperty("pty") PTY
}
