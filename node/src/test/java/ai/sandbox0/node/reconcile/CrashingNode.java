package ai.sandbox0.node.reconcile;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.Node;
import ai.sandbox0.node.NodeConfig;
import ai.sandbox0.node.VolumeBind;
import ai.sandbox0.node.pool.PoolSpec;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.testing.ProcdBuild;
import ai.sandbox0.node.testing.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The node in a child JVM that {@link ReconcileAfterCrashTest} kills with SIGKILL: it starts sandboxes, each
 * with a volume of its own, and a warm pool, writes a file into one's root and into its volume, prints READY
 * and waits to die.
 */
public final class CrashingNode {

    public static void main(String[] args) throws Exception {
        NodeConfig config = NodeConfig.defaults(args[0], Path.of(args[2]), ProcdBuild.runtime()).withAddressPool(args[1]);
        Node node = TestNodes.open(config, Set.of());
        node.start(withVolume(TestNodes.spec("keep", NetworkMode.BLOCK_ALL), config));
        node.start(withVolume(TestNodes.spec("lost", NetworkMode.ALLOW_ALL), config));
        node.start(withVolume(TestNodes.spec("drop", NetworkMode.ALLOW_ALL), config));
        node.exec("lost", List.of("sh", "-c", "echo unsaved > /root/work.txt && echo durable > /data/in-volume.txt"),
                Duration.ofSeconds(10));
        var pool = node.configurePool(PoolSpec.of("tpl", TestNodes.spec("proto", NetworkMode.ALLOW_ALL), 1, 2));
        while (pool.idleCount() < 1) {
            Thread.sleep(20);
        }
        System.out.println("READY " + String.join(" ", pool.idleIds()));
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /** The sandbox's own volume: {@link #volumeOf} bound at {@code /data}. */
    private static SandboxSpec withVolume(SandboxSpec spec, NodeConfig config) throws java.io.IOException {
        Path dir = java.nio.file.Files.createDirectories(volumeOf(config, spec.id()));
        return new SandboxSpec(spec.id(), spec.lowerDirs(), spec.resources(), spec.network(), spec.env(),
                spec.mounts(), spec.emptyDirs(), spec.security(), List.of(new VolumeBind(dir, "/data", false)));
    }

    static Path volumeOf(NodeConfig config, String id) {
        return config.stateDir().resolve("test-volumes").resolve(id);
    }
}
