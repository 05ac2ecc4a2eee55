package ai.sandbox0.server.volume;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.volume.VolumeAccessMode;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Volume and volume snapshot rows on SQLite and PostgreSQL: team scoping, states, order, what usage sums. */
@org.junit.jupiter.params.ParameterizedClass
@org.junit.jupiter.params.provider.EnumSource(TestDatabases.Kind.class)
class VolumeStoreTest {

    @org.junit.jupiter.params.Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dir;

    private Database database;
    private VolumeStore volumes;
    private VolumeSnapshotStore snapshots;
    private VolumeMounts mounts;
    private final Instant t0 = Instant.parse("2026-12-01T10:00:00.123Z");

    @BeforeEach
    void open() {
        database = TestDatabases.open(storeKind, dir);
        volumes = new VolumeStore(database.jdbi());
        snapshots = new VolumeSnapshotStore(database.jdbi());
        mounts = new VolumeMounts(database.jdbi());
    }

    @AfterEach
    void close() {
        database.close();
    }

    private VolumeRecord volume(String team, VolumeRecord.State state, Instant created) {
        var v = new VolumeRecord(VolumeIds.next(), team, "user-1", null, 1000, 1001, VolumeAccessMode.ROX, state, 0,
                created, created);
        volumes.insert(v);
        return v;
    }

    private VolumeSnapshotRecord snapshot(VolumeRecord v, VolumeSnapshotRecord.State state, long size, Instant created) {
        var s = new VolumeSnapshotRecord(VolumeIds.next(), v.id(), v.teamId(), "s", null, state, size, created, null);
        snapshots.insert(s);
        return s;
    }

    @Test
    void aVolumeIsFoundOnlyInItsTeamAndListedOnlyWhenReady() {
        VolumeRecord ready = volume("team-a", VolumeRecord.State.READY, t0);
        VolumeRecord newer = volume("team-a", VolumeRecord.State.READY, t0.plusSeconds(5));
        VolumeRecord creating = volume("team-a", VolumeRecord.State.CREATING, t0.plusSeconds(9));
        VolumeRecord other = volume("team-b", VolumeRecord.State.READY, t0);

        assertThat(volumes.find("team-a", ready.id())).contains(ready);
        assertThat(volumes.find("team-b", ready.id())).isEmpty();
        assertThat(volumes.findReady("team-a", creating.id())).isEmpty();
        assertThat(volumes.find("team-a", creating.id())).isPresent();
        assertThat(volumes.findAnyTeam(other.id()).orElseThrow().teamId()).isEqualTo("team-b");
        assertThat(volumes.findAnyTeam(VolumeIds.next())).isEmpty();
        // newest first, ready only, the team's own
        assertThat(volumes.list("team-a")).extracting(VolumeRecord::id).containsExactly(newer.id(), ready.id());
        assertThat(volumes.unsettled()).extracting(VolumeRecord::id).containsExactly(creating.id());

        volumes.setState(creating.id(), VolumeRecord.State.READY, t0.plusSeconds(10));
        assertThat(volumes.findReady("team-a", creating.id()).orElseThrow().updatedAt()).isEqualTo(t0.plusSeconds(10));
        volumes.touch(ready.id(), t0.plusSeconds(20));
        assertThat(volumes.find("team-a", ready.id()).orElseThrow().updatedAt()).isEqualTo(t0.plusSeconds(20));
        volumes.delete(ready.id());
        assertThat(volumes.findAnyTeam(ready.id())).isEmpty();
    }

    @Test
    void volumesHeldBySandboxesAreTheTeamsOnesWithMountRows() {
        VolumeRecord held = volume("team-a", VolumeRecord.State.READY, t0);
        VolumeRecord free = volume("team-a", VolumeRecord.State.READY, t0);
        VolumeRecord otherTeam = volume("team-b", VolumeRecord.State.READY, t0);
        mounts.claim("sb-1", List.of(new VolumeMounts.Mount(held.id(), "sb-1", "/data", false, t0)));
        mounts.claim("sb-2", List.of(new VolumeMounts.Mount(otherTeam.id(), "sb-2", "/data", false, t0)));

        assertThat(volumes.heldBySandboxes("team-a")).containsExactly(held.id());
        assertThat(volumes.heldBySandboxes("team-b")).containsExactly(otherTeam.id());
        assertThat(free.id()).isNotIn(volumes.heldBySandboxes("team-a"));
    }

    @Test
    void snapshotsAreScopedToTeamAndVolumeAndUsageCountsAllButDeletingOnes() {
        VolumeRecord v = volume("team-a", VolumeRecord.State.READY, t0);
        VolumeRecord w = volume("team-a", VolumeRecord.State.READY, t0);
        Instant second = Instant.parse("2026-12-01T10:00:07Z");
        VolumeSnapshotRecord older = snapshot(v, VolumeSnapshotRecord.State.READY, 100, second);
        VolumeSnapshotRecord newer = snapshot(v, VolumeSnapshotRecord.State.READY, 20, second.plusSeconds(1));
        VolumeSnapshotRecord creating = snapshot(v, VolumeSnapshotRecord.State.CREATING, 3, second.plusSeconds(2));
        VolumeSnapshotRecord deleting = snapshot(w, VolumeSnapshotRecord.State.DELETING, 4000, second);

        assertThat(snapshots.find("team-a", older.id())).contains(older);
        assertThat(snapshots.find("team-b", older.id())).isEmpty();
        assertThat(snapshots.findReady("team-a", creating.id())).isEmpty();
        assertThat(snapshots.ofVolume(v.id())).extracting(VolumeSnapshotRecord::id).containsExactly(newer.id(), older.id());
        assertThat(snapshots.ofVolume(w.id())).isEmpty();
        assertThat(snapshots.allOfVolume(v.id())).hasSize(3);
        assertThat(snapshots.unsettled()).extracting(VolumeSnapshotRecord::id)
                .containsExactlyInAnyOrder(creating.id(), deleting.id());
        assertThat(snapshots.bytesOf("team-a")).isEqualTo(123);
        assertThat(snapshots.bytesOf("team-b")).isZero();

        snapshots.ready(creating.id(), 7);
        assertThat(snapshots.findReady("team-a", creating.id()).orElseThrow().sizeBytes()).isEqualTo(7);
        assertThat(snapshots.find("team-a", older.id()).orElseThrow().view().createdAt()).isEqualTo(second);
        snapshots.setState(older.id(), VolumeSnapshotRecord.State.DELETING);
        assertThat(snapshots.bytesOf("team-a")).isEqualTo(27);
        snapshots.delete(older.id());
        assertThat(snapshots.find("team-a", older.id())).isEmpty();
    }
}
