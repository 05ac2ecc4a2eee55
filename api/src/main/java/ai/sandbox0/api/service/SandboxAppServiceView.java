package ai.sandbox0.api.service;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** A service as the server reports it: the service fields plus whether it can be published and where. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxAppServiceView(
        // A DNS label, unique within the sandbox.
        String id,
        String displayName,
        // Required for manual and cmd services; omitted for function services, which get 49983.
        Integer port,
        // Absent means manual.
        SandboxAppServiceRuntime runtime,
        SandboxAppServiceIngress ingress,
        SandboxAppServiceHealth healthCheck,
        boolean publishable,
        // Why not: not_public, missing_runtime, manual_runtime, missing_command, missing_function.
        List<String> publishBlockers,
        String publicUrl) {

    public SandboxAppServiceView {
        publishBlockers = Copies.list(publishBlockers);
    }

    // The schema is allOf(SandboxAppService, {...}); records cannot extend, so the fields are repeated here.
    public static SandboxAppServiceView of(
            SandboxAppService service, boolean publishable, List<String> publishBlockers, String publicUrl) {
        return new SandboxAppServiceView(service.id(), service.displayName(), service.port(), service.runtime(),
                service.ingress(), service.healthCheck(), publishable, publishBlockers, publicUrl);
    }

    public SandboxAppService service() {
        return new SandboxAppService(id, displayName, port, runtime, ingress, healthCheck);
    }
}
