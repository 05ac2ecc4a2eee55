package ai.sandbox0.api.context;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code CreateREPLContextRequest}: alias defaults to python; input is sent once the REPL is ready. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateREPLContextRequest(String alias, String input, REPLConfig replConfig) {
}
