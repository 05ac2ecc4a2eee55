package ai.sandbox0.api.common;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code {"deleted":true}}: A delete succeeded (also answered for an already-absent file or volume). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Deleted(
        boolean deleted) {
}
