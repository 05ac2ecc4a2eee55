package ai.sandbox0.api.context;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code REPLEnvVar}: a literal {@code value}, or {@code value_from} one of {@code term|prompt}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record REPLEnvVar(String name, String value, String valueFrom) {
}
