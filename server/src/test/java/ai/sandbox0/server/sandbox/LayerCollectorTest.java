package ai.sandbox0.server.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.blob.Blob;
import ai.sandbox0.node.image.NodeStorage;
import ai.sandbox0.node.image.RegistryCredentials;
import ai.sandbox0.node.layer.LayerChain;
import ai.sandbox0.node.layer.LayerDescriptor;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.template.TemplateScope;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer GC against a real store and blob store: only unreferenced blobs past the grace period go. */
class LayerCollectorTest {

    @TempDir
    Path dir;

    @Test
    void unreferencedBlobsGoAfterTheGracePeriodReferencedOnesStay() throws Exception {
        try (Database database = Database.openSqlite(dir.resolve("store.db"));
                NodeStorage storage = NodeStorage.open(dir.resolve("storage"), dir.resolve("cache"),
                        Path.of("/usr/sbin/debootstrap"), RegistryCredentials.ANONYMOUS, Set.of())) {
            Blob kept = storage.blobs().put(new ByteArrayInputStream("in a sandbox's chain".getBytes(StandardCharsets.UTF_8)));
            Blob snapshotted = storage.blobs().put(new ByteArrayInputStream("in a snapshot".getBytes(StandardCharsets.UTF_8)));
            Blob orphan = storage.blobs().put(new ByteArrayInputStream("deleted sandbox".getBytes(StandardCharsets.UTF_8)));
            var store = new SandboxStore(database.jdbi());
            var snapshots = new SnapshotStore(database.jdbi());
            Instant now = Instant.now();
            var spec = new SandboxTemplateSpec(null, null, null, new ContainerSpec("default", null, null,
                    new ResourceQuota("500m", "2Gi", null), null), null, null, null, null, null, null);
            store.insert(new SandboxRecord("sb-test", "team", null, "default", TemplateScope.PUBLIC, spec,
                    new SandboxConfig(Map.of(), null, null, null, null, null, List.of()), SandboxLifecycleStatus.PAUSED, null, 1,
                    null, chain(kept), null, null, now, now, now));
            snapshots.insert(new SnapshotStore.Snapshot("rootfs-snapshot-x", "team", "sb-gone", chain(snapshotted), null, null,
                    null, now));

            var patient = new LayerCollector(store, storage, Clock.systemUTC(), Duration.ofHours(1));
            assertThat(patient.collect()).isEmpty();

            var later = Clock.fixed(now.plus(Duration.ofHours(2)), ZoneOffset.UTC);
            assertThat(new LayerCollector(store, storage, later, Duration.ofHours(1)).collect()).containsExactly(orphan.digest());
            assertThat(storage.blobs().exists(kept.digest())).isTrue();
            assertThat(storage.blobs().exists(snapshotted.digest())).isTrue();
            assertThat(storage.blobs().exists(orphan.digest())).isFalse();
        }
    }

    private static LayerChain chain(Blob blob) {
        return LayerChain.of(new LayerDescriptor(blob.digest(), null, blob.size(), LayerDescriptor.TAR_ZSTD));
    }
}
