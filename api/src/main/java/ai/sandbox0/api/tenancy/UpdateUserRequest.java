package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code PUT /users/me}; absent fields are left unchanged. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateUserRequest(
        String name,
        String avatarUrl) {
}
