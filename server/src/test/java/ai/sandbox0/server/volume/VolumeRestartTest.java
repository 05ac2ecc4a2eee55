package ai.sandbox0.server.volume;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Volumes outlive the server: a restart on the same data dir finds them, their files and their snapshots. */
class VolumeRestartTest {

    @Test
    void aRestartedServerKeepsVolumesFilesAndSnapshots() throws Exception {
        Path dataDir = Files.createTempDirectory("s0-volume-restart");
        try {
            String id;
            String snapshotId;
            try (TestServer server = TestServer.withSandboxes(dataDir)) {
                id = ok(server.json("POST", "/api/v1/sandboxvolumes", "{\"default_posix_uid\":1000,"
                        + "\"default_posix_gid\":1000}"), 201).get("id").asText();
                ok(server.send(HttpRequest.newBuilder(server.uri("/api/v1/sandboxvolumes/" + id + "/files?path=/kept.txt"))
                        .POST(HttpRequest.BodyPublishers.ofString("before the restart")),
                        "Authorization", "Bearer " + server.adminKey()), 200);
                snapshotId = ok(server.json("POST", "/api/v1/sandboxvolumes/" + id + "/snapshots", "{\"name\":\"s\"}"),
                        201).get("id").asText();
                ok(server.send(HttpRequest.newBuilder(server.uri("/api/v1/sandboxvolumes/" + id + "/files?path=/kept.txt"))
                        .POST(HttpRequest.BodyPublishers.ofString("after the snapshot")),
                        "Authorization", "Bearer " + server.adminKey()), 200);
            }
            assertThat(Files.readString(Path.of("/proc/self/mounts"))).as("the pool is detached at stop")
                    .doesNotContain(dataDir.toString());
            try (TestServer server = TestServer.withSandboxes(dataDir)) {
                assertThat(ok(server.authed("/api/v1/sandboxvolumes/" + id), 200).get("default_posix_uid").asLong())
                        .isEqualTo(1000);
                assertThat(server.authed("/api/v1/sandboxvolumes/" + id + "/files?path=/kept.txt").body())
                        .isEqualTo("after the snapshot");
                ok(server.json("POST", "/api/v1/sandboxvolumes/" + id + "/snapshots/" + snapshotId + "/restore", null),
                        200);
                assertThat(server.authed("/api/v1/sandboxvolumes/" + id + "/files?path=/kept.txt").body())
                        .isEqualTo("before the restart");
                ok(server.json("DELETE", "/api/v1/sandboxvolumes/" + id, null), 200);
            }
        } finally {
            for (int attempt = 0; attempt < 30 && Files.exists(dataDir); attempt++) {
                new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
                if (Files.exists(dataDir)) {
                    Thread.sleep(1000);
                }
            }
        }
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
        assertThat(dataDir).doesNotExist();
    }
}
