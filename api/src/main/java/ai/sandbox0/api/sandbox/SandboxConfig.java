package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.Copies;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.service.SandboxAppService;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;

/** Per-sandbox configuration given at claim ({@code config}). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxConfig(
        // Defaults for new processes (contexts, cmd services, functions).
        Map<String, String> envVars,
        // Soft TTL in seconds: on expiry the sandbox is checkpointed and paused. Absent means the deployment default.
        Integer ttl,
        // Hard TTL in seconds: on expiry the sandbox and its durable state are deleted. 0 is off.
        Integer hardTtl,
        SandboxNetworkPolicy network,
        WebhookConfig webhook,
        // Absent means true.
        Boolean autoResume,
        List<SandboxAppService> services) {

    public SandboxConfig {
        envVars = Copies.map(envVars);
        services = Copies.list(services);
    }
}
