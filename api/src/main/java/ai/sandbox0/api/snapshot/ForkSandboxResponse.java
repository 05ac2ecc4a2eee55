package ai.sandbox0.api.snapshot;

import ai.sandbox0.api.sandbox.Sandbox;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The payload of a fork: the new sandbox, paused, sharing the source's rootfs copy-on-write. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ForkSandboxResponse(
        String sourceSandboxId,
        Sandbox sandbox) {
}
