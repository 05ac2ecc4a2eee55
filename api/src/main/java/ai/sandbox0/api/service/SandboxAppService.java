package ai.sandbox0.api.service;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A service a sandbox exposes over public HTTP ({@code config.services}, {@code PUT …/services}). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxAppService(
        // A DNS label, unique within the sandbox.
        String id,
        String displayName,
        // Required for manual and cmd services; omitted for function services, which get 49983.
        Integer port,
        // Absent means manual.
        SandboxAppServiceRuntime runtime,
        SandboxAppServiceIngress ingress,
        SandboxAppServiceHealth healthCheck) {
}
