package ai.sandbox0.api.context;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code REPLPromptConfig}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record REPLPromptConfig(String customPrompt) {
}
