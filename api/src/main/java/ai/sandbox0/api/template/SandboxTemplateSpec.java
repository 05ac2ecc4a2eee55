package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import java.util.List;
import java.util.Map;

/** What a sandbox is made from. camelCase, unlike the template around it. */
public record SandboxTemplateSpec(
        String description,
        String displayName,
        List<String> tags,
        ContainerSpec mainContainer,
        // Where claim-time volumes may be mounted.
        List<VolumeMountSpec> volumeMounts,
        // Privileged: system callers only.
        PodSpecOverride pod,
        SandboxNetworkPolicy network,
        // Absent means no warm pool (0/0).
        PoolStrategy pool,
        Map<String, String> envVars,
        String clusterId) {

    public SandboxTemplateSpec {
        tags = Copies.list(tags);
        volumeMounts = Copies.list(volumeMounts);
        envVars = Copies.map(envVars);
    }
}
