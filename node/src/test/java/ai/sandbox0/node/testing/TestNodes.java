package ai.sandbox0.node.testing;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.Node;
import ai.sandbox0.node.NodeConfig;
import ai.sandbox0.node.Resources;
import ai.sandbox0.node.image.HostImageCache;
import ai.sandbox0.node.runtime.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Nodes for tests: each test class its own name, address range and state dir, so they never collide. */
public final class TestNodes {

    private TestNodes() {
    }

    public static NodeConfig config(String name, String cidr) throws IOException {
        HostRequirements.check();
        Path state = Files.createTempDirectory("s0node-" + name + "-");
        return NodeConfig.defaults(name, state, ProcdBuild.runtime()).withAddressPool(cidr);
    }

    public static Node open(String name, String cidr) throws IOException {
        return open(config(name, cidr), Set.of());
    }

    /** The node of {@code config} over layer storage of its own, inside its state dir. */
    public static Node open(NodeConfig config, Set<String> expected) throws IOException {
        return Node.open(config, config.stateDir().resolve("storage"), HostImageCache.DEFAULT_ROOT, expected);
    }

    /** A small sandbox of the test rootfs: half a CPU, 512 MiB. */
    public static SandboxSpec spec(String id, NetworkMode mode) {
        return SandboxSpec.of(id, List.of(TestRootfs.get()), Resources.of("500m", "512Mi"), mode);
    }
}
