package ai.sandbox0.api.snapshot;

import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RootfsSnapshotContractTest {

    private static final String SNAPSHOT = """
            {"id":"rootfs-snapshot-k3v9x0p2qa","sandbox_id":"rs-c1-default-x7k2m9","name":"v1",
             "description":"after pip install","created_at":"2026-06-20T10:30:00Z","expires_at":"0001-01-01T00:00:00Z"}
            """;

    @Test
    void snapshotAndListRoundTrip() {
        SandboxRootfsSnapshot snapshot = roundTrip(SNAPSHOT, SandboxRootfsSnapshot.class);
        SandboxRootfsSnapshotList list = roundTrip("{\"snapshots\":[" + SNAPSHOT + "],\"count\":1}",
                SandboxRootfsSnapshotList.class);

        assertThat(snapshot.sandboxId()).isEqualTo("rs-c1-default-x7k2m9");
        assertThat(snapshot.expiresAt()).isEqualTo(Instant.parse("0001-01-01T00:00:00Z"));
        assertThat(list.snapshots()).containsExactly(snapshot);
    }

    @Test
    void createRequestIsOptionalInEveryField() {
        assertThat(roundTrip("{}", CreateSandboxRootfsSnapshotRequest.class).name()).isNull();
        CreateSandboxRootfsSnapshotRequest full = roundTrip("""
                {"name":"v1","description":"d","expires_at":"2026-07-01T00:00:00Z"}
                """, CreateSandboxRootfsSnapshotRequest.class);
        assertThat(full.expiresAt()).isEqualTo(Instant.parse("2026-07-01T00:00:00Z"));
    }

    @Test
    void restoreRoundTrips() {
        RestoreSandboxRootfsRequest request = roundTrip("{\"snapshot_id\":\"rootfs-snapshot-k3v9x0p2qa\"}",
                RestoreSandboxRootfsRequest.class);
        RestoreSandboxRootfsResponse response = roundTrip("""
                {"sandbox_id":"rs-1","snapshot_id":"rootfs-snapshot-k3v9x0p2qa","status":"paused"}
                """, RestoreSandboxRootfsResponse.class);

        assertThat(request.snapshotId()).isEqualTo("rootfs-snapshot-k3v9x0p2qa");
        assertThat(response.status()).isEqualTo(SandboxLifecycleStatus.PAUSED);
    }

    @Test
    void forkResponseNestsAPausedSandbox() {
        ForkSandboxResponse fork = roundTrip("""
                {"source_sandbox_id":"rs-1","sandbox":{"id":"rs-2","template_id":"default","team_id":"t",
                 "status":"paused","paused":true,"auto_resume":true,"pod_name":"","runtime_generation":0,
                 "expires_at":"0001-01-01T00:00:00Z","hard_expires_at":"0001-01-01T00:00:00Z",
                 "claimed_at":"2026-06-20T10:30:00Z","created_at":"2026-06-20T10:30:00Z","updated_at":"2026-06-20T10:30:00Z"}}
                """, ForkSandboxResponse.class);

        assertThat(fork.sandbox().paused()).isTrue();
        assertThat(written(fork).path("sandbox").has("runtime_generation")).isTrue();
    }

    @Test
    void forkRequestIsAnEmptyObjectAndRejectsAnyMember() {
        assertThat(roundTrip("{}", ForkSandboxRequest.class)).isEqualTo(new ForkSandboxRequest());

        assertThatThrownBy(() -> Json.mapper().readValue("{\"foo\":1}", ForkSandboxRequest.class))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("unknown field \"foo\"");
    }
}
