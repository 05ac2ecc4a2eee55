package ai.sandbox0.node.image;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.RegistryCredentials;
import ai.sandbox0.node.layer.HostPrerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeStorageTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRoot() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
    }

    @Test
    void checkpointsGrowTheChainUntilTheDepthLimitThenSquash() throws Exception {
        try (var opened = NodeStorage.open(dir.resolve("data"), dir.resolve("host-cache"), Path.of("/usr/sbin/debootstrap"),
                RegistryCredentials.ANONYMOUS, Set.of())) {
            var storage = new NodeStorage(opened.blobs(), opened.layers(), opened.exporter(), opened.images(), 3);
            LayerChain chain = LayerChain.EMPTY;
            for (int run = 0; run < 5; run++) {
                Path upper = Files.createDirectories(dir.resolve("upper" + run));
                Files.writeString(upper.resolve("run" + run), "run " + run);
                Files.createDirectories(upper.resolve("procd"));
                chain = storage.checkpoint(chain, upper, Set.of("procd"), Optional.empty());
                assertThat(chain.depth()).isEqualTo(Math.min(run + 1, 3));
            }
            Path empty = Files.createDirectories(dir.resolve("unchanged"));
            assertThat(storage.checkpoint(chain, empty, Set.of(), Optional.empty())).as("nothing changed").isEqualTo(chain);
            try (var lease = storage.layers().acquire(chain)) {
                var top = lease.directories().getLast();
                assertThat(top.resolve("run2")).exists();
                assertThat(top.resolve("run4")).exists();
                assertThat(top.resolve("procd")).doesNotExist();
                assertThat(lease.directories().getFirst().resolve("run0")).exists();
            }
        }
    }
}
