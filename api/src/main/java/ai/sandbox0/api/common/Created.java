package ai.sandbox0.api.common;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code {"created":true}}: A directory was created. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Created(
        boolean created) {
}
