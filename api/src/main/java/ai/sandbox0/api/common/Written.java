package ai.sandbox0.api.common;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code {"written":true}}: Bytes were written (to a file or to a process). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Written(
        boolean written) {
}
