package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.Copies;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.service.SandboxAppService;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;

/**
 * The part of the configuration {@code PUT /api/v1/sandboxes/{id}} can change; absent means unchanged.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxUpdateConfig(
        // Absent keeps the map, {} clears it; affects new processes only.
        Map<String, String> envVars,
        // Resets expires_at to now + ttl; 0 clears it.
        Integer ttl,
        // Resets hard_expires_at.
        Integer hardTtl,
        SandboxNetworkPolicy network,
        // Absent means unchanged here, despite the schema default of true.
        Boolean autoResume,
        List<SandboxAppService> services) {

    public SandboxUpdateConfig {
        envVars = Copies.map(envVars);
        services = Copies.list(services);
    }
}
