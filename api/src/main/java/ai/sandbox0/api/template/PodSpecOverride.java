package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;
import java.util.Map;

/** Pod scheduling overrides (privileged: system callers only). */
public record PodSpecOverride(
        Map<String, String> nodeSelector,
        Affinity affinity,
        List<Toleration> tolerations,
        String serviceAccountName,
        List<EmptyDirMountSpec> emptyDirMounts) {

    public PodSpecOverride {
        nodeSelector = Copies.map(nodeSelector);
        tolerations = Copies.list(tolerations);
        emptyDirMounts = Copies.list(emptyDirMounts);
    }
}
