package ai.sandbox0.api.service;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET} and {@code PUT …/services}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxServicesResponse(
        String sandboxId,
        List<SandboxAppServiceView> services,
        String exposureDomain) {

    public SandboxServicesResponse {
        services = Copies.list(services);
    }
}
