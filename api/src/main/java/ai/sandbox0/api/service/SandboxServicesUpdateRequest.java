package ai.sandbox0.api.service;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The body of {@code PUT …/services}: a full replacement; {@code []} clears. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxServicesUpdateRequest(
        // Required by the server (400 "services is required").
        List<SandboxAppService> services) {

    public SandboxServicesUpdateRequest {
        services = Copies.list(services);
    }
}
