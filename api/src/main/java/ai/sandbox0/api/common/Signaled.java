package ai.sandbox0.api.common;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code {"signaled":true}}: A signal was sent to a process. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Signaled(
        boolean signaled) {
}
