package ai.sandbox0.server.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.EmptyDirMountSpec;
import ai.sandbox0.api.template.PodSpecOverride;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.EmptyDir;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the local host hands the node for a template: its empty dirs with their bounds. */
class LocalSandboxHostTest {

    private static SandboxTemplateSpec spec(PodSpecOverride pod) {
        return new SandboxTemplateSpec(null, null, null, new ContainerSpec("default", null, null,
                new ResourceQuota("500m", "2Gi", "1Gi"), null), null, pod, null, null, null, null);
    }

    @Test
    void emptyDirsGetTheirSizeLimitOrTheSandboxesEphemeralStorage() {
        var pod = new PodSpecOverride(null, null, null, null, List.of(
                new EmptyDirMountSpec("/var/lib/docker", "2Gi"), new EmptyDirMountSpec("/scratch", null)));
        assertThat(LocalSandboxHost.emptyDirs(spec(pod))).containsExactly(
                new EmptyDir("/var/lib/docker", 2L << 30), new EmptyDir("/scratch", 1L << 30));
        assertThat(LocalSandboxHost.emptyDirs(spec(null))).isEmpty();
    }
}
