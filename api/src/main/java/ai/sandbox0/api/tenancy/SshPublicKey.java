package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** An SSH public key that lets its user into any sandbox they may access in the region. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SshPublicKey(
        String id,
        String name,
        String publicKey,
        String keyType,
        String fingerprintSha256,
        String comment,
        Instant createdAt,
        Instant updatedAt) {
}
