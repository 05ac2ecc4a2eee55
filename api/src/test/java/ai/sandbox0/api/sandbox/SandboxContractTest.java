package ai.sandbox0.api.sandbox;

import static ai.sandbox0.api.WireAssertions.example;
import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.service.RouteAuthMode;
import ai.sandbox0.api.service.ServiceRuntimeType;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxContractTest {

    @Test
    void claimRequestRoundTripsWithSnakeCaseAndTheNestedCamelCasePolicy() {
        ClaimRequest claim = roundTrip(example("claim-request.json"), ClaimRequest.class);

        assertThat(claim.template()).isEqualTo("default");
        assertThat(claim.config().hardTtl()).isEqualTo(3600);
        assertThat(claim.config().network().mode()).isEqualTo(NetworkMode.BLOCK_ALL);
        assertThat(claim.config().network().egress().trafficRules().getFirst().ports().getFirst().port()).isEqualTo(443);
        assertThat(claim.config().services().getFirst().runtime().type()).isEqualTo(ServiceRuntimeType.CMD);
        assertThat(claim.config().services().getFirst().ingress().routes().getFirst().auth().mode())
                .isEqualTo(RouteAuthMode.BEARER);
        assertThat(claim.mounts().getFirst().sandboxVolumeId()).isEqualTo("6f1c2d4e-8a9b-4c3d-9e0f-1a2b3c4d5e6f");
    }

    @Test
    void claimWritesUpstreamNames() {
        ClaimRequest claim = new ClaimRequest("default", null,
                new SandboxConfig(Map.of("A", "1"), 60, 600, null, new WebhookConfig("https://h", null, "/tmp/w"),
                        false, null),
                List.of(new ClaimMountRequest("vol-1", "/data")));

        JsonNode json = written(claim);

        assertThat(json.path("config").has("hard_ttl")).isTrue();
        assertThat(json.path("config").has("env_vars")).isTrue();
        assertThat(json.path("config").has("auto_resume")).isTrue();
        assertThat(json.path("config").path("webhook").has("watch_dir")).isTrue();
        // Not sandbox_volume_id, which the naming strategy would derive.
        assertThat(json.path("mounts").get(0).has("sandboxvolume_id")).isTrue();
        assertThat(json.path("mounts").get(0).has("mount_point")).isTrue();
        assertThat(json.has("snapshot_id")).isFalse();
    }

    @Test
    void claimResponseKeepsItsOwnNames() {
        ClaimResponse response = roundTrip(example("claim-response.json"), ClaimResponse.class);

        assertThat(response.sandboxId()).isEqualTo("rs-c1-default-x7k2m9");
        assertThat(response.status()).isEqualTo(SandboxLifecycleStatus.STARTING);
        assertThat(response.bootstrapMounts()).extracting(MountStatus::state)
                .containsExactly(MountState.MOUNTED, MountState.FAILED);
    }

    @Test
    void sandboxDetailRoundTripsIncludingTheZeroTimestamp() {
        Sandbox sandbox = roundTrip(example("sandbox.json"), Sandbox.class);

        assertThat(sandbox.runtimeGeneration()).isEqualTo(3);
        assertThat(sandbox.hardExpiresAt()).isEqualTo(Instant.parse("0001-01-01T00:00:00Z"));
        assertThat(sandbox.ssh().port()).isEqualTo(22);
        assertThat(sandbox.services().getFirst().port()).isEqualTo(49983);
        assertThat(sandbox.mounts().getFirst().mountPoint()).isEqualTo("/workspace/data");
    }

    @Test
    void sandboxListIsAnObjectWithCountAndHasMore() {
        SandboxList list = roundTrip(example("sandbox-list.json"), SandboxList.class);

        assertThat(list.count()).isEqualTo(7);
        assertThat(list.hasMore()).isTrue();
        assertThat(list.sandboxes()).extracting(SandboxSummary::status)
                .containsExactly(SandboxLifecycleStatus.PAUSED, SandboxLifecycleStatus.PAUSING);
        assertThat(written(list).has("has_more")).isTrue();
    }

    @Test
    void statusPayloadRoundTrips() {
        SandboxStatus status = roundTrip("""
                {"sandbox_id":"rs-c1-default-x7k2m9","template_id":"default","team_id":"team-7d1f",
                 "user_id":"user-42","pod_name":"default-x7k2m9","status":"resuming",
                 "claimed_at":"2026-06-20T10:15:30Z","expires_at":"2026-06-20T10:20:30Z",
                 "hard_expires_at":"0001-01-01T00:00:00Z","created_at":"2026-06-20T10:15:29Z"}
                """, SandboxStatus.class);

        assertThat(status.status()).isEqualTo(SandboxLifecycleStatus.RESUMING);
    }

    @Test
    void updateRequestDistinguishesAbsentFromEmpty() {
        SandboxUpdateRequest keep = roundTrip("""
                {"config":{"ttl":900}}
                """, SandboxUpdateRequest.class);
        SandboxUpdateRequest clear = roundTrip("""
                {"config":{"env_vars":{},"auto_resume":false,"services":[]}}
                """, SandboxUpdateRequest.class);

        assertThat(keep.config().envVars()).isNull();
        assertThat(keep.config().autoResume()).isNull();
        assertThat(clear.config().envVars()).isEmpty();
        assertThat(clear.config().autoResume()).isFalse();
        assertThat(clear.config().services()).isEmpty();
    }

    @Test
    void pauseResumeAndRefreshPayloadsRoundTrip() {
        PauseSandboxResponse pause = roundTrip("""
                {"sandbox_id":"rs-1","paused":false,"status":"pausing",
                 "resource_usage":{"container_memory_usage":104857600,"container_memory_limit":2147483648,
                  "container_memory_working_set":52428800,"total_memory_rss":41943040,"total_memory_vms":83886080,
                  "total_open_files":12,"total_thread_count":9,"total_io_read_bytes":4096,"total_io_write_bytes":8192,
                  "context_count":2,"running_context_count":1,"paused_context_count":0,
                  "contexts":[{"context_id":"ctx-0a1b2c3d","type":"repl","alias":"python","running":true,"paused":false,
                   "usage":{"cpu_percent":1.25,"memory_rss":20971520,"memory_vms":41943040,"open_files":5,"thread_count":3,
                    "io_read_bytes":1024,"io_write_bytes":2048,"memory_bytes":20971520}}]},
                 "updated_memory":"2Gi","updated_cpu":"500m"}
                """, PauseSandboxResponse.class);
        ResumeSandboxResponse resume = roundTrip("""
                {"sandbox_id":"rs-1","resumed":true,"restored_memory":"2Gi"}
                """, ResumeSandboxResponse.class);
        RefreshResponse refresh = roundTrip("""
                {"sandbox_id":"rs-1","expires_at":"2026-06-20T10:21:30Z","hard_expires_at":"0001-01-01T00:00:00Z"}
                """, RefreshResponse.class);

        assertThat(pause.status()).isEqualTo(SandboxLifecycleStatus.PAUSING);
        assertThat(pause.resourceUsage().contexts().getFirst().usage().cpuPercent()).isEqualTo(1.25);
        assertThat(pause.resourceUsage().containerMemoryLimit()).isEqualTo(2147483648L);
        assertThat(resume.resumed()).isTrue();
        assertThat(refresh.expiresAt()).isEqualTo(Instant.parse("2026-06-20T10:21:30Z"));
        assertThat(roundTrip("{}", SandboxRefreshRequest.class).duration()).isNull();
        assertThat(roundTrip("{\"duration\":60}", SandboxRefreshRequest.class).duration()).isEqualTo(60);
    }

    @Test
    void lifecycleStatusParsesQueryParametersIncludingPausingAndResuming() {
        assertThat(SandboxLifecycleStatus.fromWire("pausing")).contains(SandboxLifecycleStatus.PAUSING);
        assertThat(SandboxLifecycleStatus.fromWire("resuming")).contains(SandboxLifecycleStatus.RESUMING);
        // The docs mention "completed", which the enum (and so the server) rejects.
        assertThat(SandboxLifecycleStatus.fromWire("completed")).isEmpty();
        assertThat(SandboxLifecycleStatus.fromWire("Running")).isEmpty();
        assertThat(SandboxLifecycleStatus.PAUSED.wire()).isEqualTo("paused");
    }
}
