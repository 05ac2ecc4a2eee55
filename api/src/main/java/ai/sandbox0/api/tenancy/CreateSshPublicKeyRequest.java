package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /users/me/ssh-keys}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateSshPublicKeyRequest(
        String name,
        // One authorized_keys line.
        String publicKey) {
}
