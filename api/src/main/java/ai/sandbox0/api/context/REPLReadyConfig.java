package ai.sandbox0.api.context;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code REPLReadyConfig}: mode omitted means prompt_token if a token is given, else startup_delay. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record REPLReadyConfig(REPLReadyMode mode, String token, Integer startupDelayMs) {
}
