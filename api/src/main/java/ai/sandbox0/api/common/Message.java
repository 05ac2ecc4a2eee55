package ai.sandbox0.api.common;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A human-readable outcome, such as {@code {"message":"sandbox terminated successfully"}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Message(
        String message) {
}
