package ai.sandbox0.server.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.server.sandbox.SandboxRecord.Deadlines;
import ai.sandbox0.server.sandbox.SandboxRecord.Owner;
import ai.sandbox0.server.sandbox.SandboxRecord.TemplateRef;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.template.TemplateScope;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer GC hands the host every chain a sandbox or a snapshot still references, and nothing else. */
class LayerCollectorTest {

    @TempDir
    Path dir;

    @Test
    void theHostKeepsTheChainsOfSandboxesAndOfSnapshotsOfDeletedSandboxes() throws Exception {
        try (Database database = Database.openSqlite(dir.resolve("store.db"))) {
            var store = new SandboxStore(database.jdbi());
            var snapshots = new SnapshotStore(database.jdbi());
            Instant now = Instant.now();
            var spec = new SandboxTemplateSpec(null, null, null, new ContainerSpec("default", null, null,
                    new ResourceQuota("500m", "2Gi", null), null), null, null, null, null, null, null);
            LayerChain sandboxChain = FakeSandboxHost.IMAGE.plus(FakeSandboxHost.layer("in a sandbox's chain"));
            LayerChain snapshotChain = FakeSandboxHost.IMAGE.plus(FakeSandboxHost.layer("in a snapshot"));
            store.insert(SandboxRecord.claimed("sb-test", new Owner("team", null),
                    new TemplateRef("default", TemplateScope.PUBLIC, spec),
                    new SandboxConfig(Map.of(), null, null, null, null, null, List.of()), sandboxChain,
                    new Deadlines(null, null), now));
            snapshots.insert(new SnapshotStore.Snapshot("rootfs-snapshot-x", "team", "sb-gone", snapshotChain, null, null,
                    null, now));
            var host = new FakeSandboxHost();

            new LayerCollector(store, host, Duration.ofHours(1)).collect();

            assertThat(host.lastReferenced).containsExactlyInAnyOrder(sandboxChain, snapshotChain);
        }
    }
}
