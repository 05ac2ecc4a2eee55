package ai.sandbox0.api.common;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code {"moved":true}}: A file or directory was moved. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Moved(
        boolean moved) {
}
