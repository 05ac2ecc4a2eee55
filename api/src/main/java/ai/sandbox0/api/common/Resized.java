package ai.sandbox0.api.common;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code {"resized":true}}: A pseudo-terminal was resized. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Resized(
        boolean resized) {
}
