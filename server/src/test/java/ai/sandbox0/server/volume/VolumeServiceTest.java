package ai.sandbox0.server.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.volume.CreateSandboxVolumeRequest;
import ai.sandbox0.api.volume.CreateSnapshotRequest;
import ai.sandbox0.api.volume.VolumeAccessMode;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.MutableClock;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.store.TestDatabases;
import ai.sandbox0.server.tenancy.QuotaStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The volume service over a real pool (btrfs on a loop device, so root) and both stores: what a crash at each
 * step leaves is settled at the next start, a failed pool step leaves nothing behind, files belong to the
 * volume's default owner, and a volume a sandbox has mounted is neither deleted nor restored.
 */
@org.junit.jupiter.params.ParameterizedClass
@org.junit.jupiter.params.provider.EnumSource(TestDatabases.Kind.class)
class VolumeServiceTest {

    private static final Principal ALICE = new Principal("team-a", "user-a", "key-a", null, Set.of(), false);

    @org.junit.jupiter.params.Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dir;

    private Database database;
    private VolumePool pool;
    private VolumeStore volumes;
    private VolumeSnapshotStore snapshots;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00.500Z"));

    @BeforeEach
    void open() throws Exception {
        database = TestDatabases.open(storeKind, dir);
        pool = VolumePool.open(dir.resolve("volumes"), 2L << 30);
        volumes = new VolumeStore(database.jdbi());
        snapshots = new VolumeSnapshotStore(database.jdbi());
    }

    @AfterEach
    void close() {
        pool.close();
        database.close();
    }

    /** A service as a (re)started server builds it. */
    private VolumeService service() {
        return new VolumeService(volumes, snapshots, new VolumeMounts(database.jdbi()), pool,
                new QuotaStore(database.jdbi()), clock, Duration.ofSeconds(5));
    }

    private VolumeRecord row(String id, VolumeRecord.State state) {
        var v = new VolumeRecord(id, "team-a", "user-a", null, 0, 0, VolumeAccessMode.RWO, state, 0, clock.instant(),
                clock.instant());
        volumes.insert(v);
        return v;
    }

    private VolumeSnapshotRecord snapshotRow(String id, String volumeId, VolumeSnapshotRecord.State state) {
        var s = new VolumeSnapshotRecord(id, volumeId, "team-a", "s", null, state, 0, clock.instant(), null);
        snapshots.insert(s);
        return s;
    }

    @Test
    void aRestartUndoesInterruptedCreatesAndFinishesInterruptedDeletes() throws Exception {
        // A create that stopped after the pool made the subvolume, and one that stopped before.
        String made = VolumeIds.next();
        row(made, VolumeRecord.State.CREATING);
        pool.create(made, 0, 0);
        String notMade = VolumeIds.next();
        row(notMade, VolumeRecord.State.CREATING);
        // A delete that stopped after marking the row, with a snapshot still on the node.
        String deleting = VolumeIds.next();
        row(deleting, VolumeRecord.State.READY);
        pool.create(deleting, 0, 0);
        String ofDeleting = VolumeIds.next();
        snapshotRow(ofDeleting, deleting, VolumeSnapshotRecord.State.READY);
        pool.snapshot(deleting, ofDeleting);
        volumes.setState(deleting, VolumeRecord.State.DELETING, clock.instant());
        // A kept volume with a snapshot create and a snapshot delete that both stopped half way.
        String kept = VolumeIds.next();
        row(kept, VolumeRecord.State.READY);
        pool.create(kept, 0, 0);
        String half = VolumeIds.next();
        snapshotRow(half, kept, VolumeSnapshotRecord.State.CREATING);
        pool.snapshot(kept, half);
        String going = VolumeIds.next();
        snapshotRow(going, kept, VolumeSnapshotRecord.State.DELETING);
        pool.snapshot(kept, going);
        String whole = VolumeIds.next();
        snapshotRow(whole, kept, VolumeSnapshotRecord.State.READY);
        pool.snapshot(kept, whole);

        service().recover();

        assertThat(volumes.findAnyTeam(made)).isEmpty();
        assertThat(pool.exists(made)).isFalse();
        assertThat(volumes.findAnyTeam(notMade)).isEmpty();
        assertThat(volumes.findAnyTeam(deleting)).isEmpty();
        assertThat(pool.exists(deleting)).isFalse();
        assertThat(snapshots.find("team-a", ofDeleting)).isEmpty();
        assertThat(pool.snapshotExists(ofDeleting)).isFalse();
        assertThat(volumes.findReady("team-a", kept)).isPresent();
        assertThat(pool.exists(kept)).isTrue();
        assertThat(snapshots.find("team-a", half)).isEmpty();
        assertThat(pool.snapshotExists(half)).isFalse();
        assertThat(snapshots.find("team-a", going)).isEmpty();
        assertThat(pool.snapshotExists(going)).isFalse();
        assertThat(snapshots.findReady("team-a", whole)).isPresent();
        assertThat(pool.snapshotExists(whole)).isTrue();
        assertThat(volumes.unsettled()).isEmpty();
        assertThat(snapshots.unsettled()).isEmpty();
        service().recover(); // nothing left to do, and nothing fails
    }

    @Test
    void aPoolStepThatFailsLeavesNoVolumeBehind() throws Exception {
        // A snapshot row whose subvolume is gone: the copy fails, and neither a row nor a subvolume stays.
        String source = VolumeIds.next();
        row(source, VolumeRecord.State.READY);
        pool.create(source, 0, 0);
        String lost = VolumeIds.next();
        snapshotRow(lost, source, VolumeSnapshotRecord.State.READY);

        assertThatThrownBy(() -> service().create(ALICE, new CreateSandboxVolumeRequest(lost, null, null, null)))
                .isInstanceOf(Unavailable.class).hasMessageContaining("does not match the store")
                .hasMessageNotContaining(dir.toString());
        assertThat(volumes.list("team-a")).extracting(VolumeRecord::id).containsExactly(source);
        assertThat(volumes.unsettled()).isEmpty();
    }

    @Test
    void filesMadeThroughTheApiBelongToTheVolumesDefaultOwner() throws Exception {
        VolumeService service = service();
        String id = service.create(ALICE, new CreateSandboxVolumeRequest(null, 1000L, 1001L, null)).id();
        var files = new VolumeFileOperations(service);
        files.write(ALICE, id, "/made/here.txt", new ByteArrayInputStream("x".getBytes(StandardCharsets.UTF_8)), 1);
        files.mkdir(ALICE, id, "/dir/sub", true);
        for (String path : new String[] {"made", "made/here.txt", "dir", "dir/sub"}) {
            Path onHost = pool.root(id).resolve(path);
            assertThat(Files.getAttribute(onHost, "unix:uid")).as(path).isEqualTo(1000);
            assertThat(Files.getAttribute(onHost, "unix:gid")).as(path).isEqualTo(1001);
        }
        // A fork with other ids makes its new files as those.
        String fork = service.fork(ALICE, id, new ai.sandbox0.api.volume.ForkVolumeRequest(7L, 8L, null)).id();
        files.write(ALICE, fork, "/fork.txt", new ByteArrayInputStream(new byte[0]), 0);
        assertThat(Files.getAttribute(pool.root(fork).resolve("fork.txt"), "unix:uid")).isEqualTo(7);
    }

    @Test
    void aVolumeASandboxHasMountedIsNeitherDeletedNorRestored() throws Exception {
        VolumeService service = service();
        String id = service.create(ALICE, new CreateSandboxVolumeRequest(null, null, null, null)).id();
        String snapshot = service.createSnapshot(ALICE, id, new CreateSnapshotRequest("s", null)).id();
        Path mountPoint = Files.createDirectories(dir.resolve("sandbox-view"));
        run("mount", "--bind", pool.root(id).toString(), mountPoint.toString());
        try {
            assertThat(pool.mounted(id)).isTrue();
            assertThatThrownBy(() -> service.delete(ALICE, id, true)).isInstanceOf(Conflict.class)
                    .hasMessageContaining("volume has active mounts");
            assertThatThrownBy(() -> service.restore(ALICE, id, snapshot)).isInstanceOf(Conflict.class)
                    .hasMessageContaining("mounted");
            assertThat(volumes.findReady("team-a", id)).isPresent();
        } finally {
            run("umount", mountPoint.toString());
        }
        service.restore(ALICE, id, snapshot);
        service.delete(ALICE, id, false);
        assertThat(pool.exists(id)).isFalse();
        assertThat(pool.snapshotExists(snapshot)).as("the volume's snapshots go with it").isFalse();
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
