package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code REPLReadyMode}: how a REPL is known to be ready for input. */
public enum REPLReadyMode {
    @JsonProperty("prompt_token") PROMPT_TOKEN,
    @JsonProperty("startup_delay") STARTUP_DELAY
}
