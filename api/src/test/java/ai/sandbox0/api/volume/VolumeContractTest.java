package ai.sandbox0.api.volume;

import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class VolumeContractTest {

    private static final String VOLUME = """
            {"id":"6f1c2d4e-8a9b-4c3d-9e0f-1a2b3c4d5e6f","team_id":"team-7d1f","user_id":"user-42",
             "source_volume_id":"0b7e5a3c-1d2f-4e6a-8b9c-0d1e2f3a4b5c","default_posix_uid":1000,"default_posix_gid":1000,
             "access_mode":"ROX","created_at":"2026-06-20T10:00:00Z","updated_at":"2026-06-20T10:00:00Z"}
            """;

    @Test
    void volumeAndTheBareListRoundTrip() {
        SandboxVolume volume = roundTrip(VOLUME, SandboxVolume.class);
        List<SandboxVolume> list = roundTrip("[" + VOLUME + "]", new TypeReference<List<SandboxVolume>>() { });

        assertThat(volume.accessMode()).isEqualTo(VolumeAccessMode.ROX);
        assertThat(volume.defaultPosixUid()).isEqualTo(1000L);
        assertThat(list).containsExactly(volume);
    }

    @Test
    void requestsKeepAbsentDistinctFromZero() {
        CreateSandboxVolumeRequest empty = roundTrip("{}", CreateSandboxVolumeRequest.class);
        CreateSandboxVolumeRequest full = roundTrip("""
                {"snapshot_id":"9c8b7a6f-5e4d-4c3b-2a19-087f6e5d4c3b","default_posix_uid":0,"default_posix_gid":0,"access_mode":"RWX"}
                """, CreateSandboxVolumeRequest.class);
        ForkVolumeRequest fork = roundTrip("{\"access_mode\":\"RWO\"}", ForkVolumeRequest.class);

        assertThat(empty.defaultPosixUid()).isNull();
        assertThat(empty.accessMode()).isNull();
        assertThat(full.defaultPosixUid()).isZero();
        assertThat(fork.defaultPosixGid()).isNull();
        assertThat(written(new ForkVolumeRequest(null, null, VolumeAccessMode.RWO)).toString())
                .isEqualTo("{\"access_mode\":\"RWO\"}");
    }

    @Test
    void accessModeIsCaseSensitive() {
        assertThat(VolumeAccessMode.fromWire("RWO")).contains(VolumeAccessMode.RWO);
        assertThat(VolumeAccessMode.fromWire("rwo")).isEmpty();
        assertThatThrownBy(() -> Json.mapper().readValue("{\"access_mode\":\"XYZ\"}", CreateSandboxVolumeRequest.class))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("XYZ");
    }

    @Test
    void snapshotsRoundTrip() {
        Snapshot snapshot = roundTrip("""
                {"id":"9c8b7a6f-5e4d-4c3b-2a19-087f6e5d4c3b","volume_id":"6f1c2d4e-8a9b-4c3d-9e0f-1a2b3c4d5e6f",
                 "name":"v1","description":"d","size_bytes":0,"created_at":"2026-06-20T10:05:00Z"}
                """, Snapshot.class);
        List<Snapshot> list = roundTrip("[]", new TypeReference<List<Snapshot>>() { });
        CreateSnapshotRequest create = roundTrip("{\"name\":\"v1\",\"description\":\"d\"}", CreateSnapshotRequest.class);

        assertThat(snapshot.sizeBytes()).isZero();
        assertThat(snapshot.createdAt()).isEqualTo(Instant.parse("2026-06-20T10:05:00Z"));
        assertThat(snapshot.expiresAt()).isNull();
        assertThat(list).isEmpty();
        assertThat(create.name()).isEqualTo("v1");
        assertThat(roundTrip("{\"status\":\"restored\"}", SnapshotRestoreResult.class).status()).isEqualTo("restored");
    }

    @Test
    void archiveImportCountsAreInt64() {
        VolumeFileArchiveImportResponse imported = roundTrip("""
                {"files":2,"directories":1,"symlinks":0,"bytes":5000000000}
                """, VolumeFileArchiveImportResponse.class);

        assertThat(imported.bytes()).isEqualTo(5_000_000_000L);
    }
}
