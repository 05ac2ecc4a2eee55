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
            remove(dataDir);
        }
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void aServerWhoseNodeLostItsVolumePoolRebuildsVolumesAndSnapshotsFromTheirSeals() throws Exception {
        Path dataDir = Files.createTempDirectory("s0-volume-node-loss");
        byte[] big = new byte[9 << 20];
        new java.util.Random(7).nextBytes(big);
        try {
            String id;
            String snapshotId;
            try (TestServer server = TestServer.withSandboxes(dataDir)) {
                id = ok(server.json("POST", "/api/v1/sandboxvolumes", "{\"default_posix_uid\":1000,"
                        + "\"default_posix_gid\":1000}"), 201).get("id").asText();
                write(server, id, "/notes/kept.txt", "sealed before the snapshot".getBytes());
                write(server, id, "/data/big.bin", big);
                snapshotId = ok(server.json("POST", "/api/v1/sandboxvolumes/" + id + "/snapshots", "{\"name\":\"s\"}"),
                        201).get("id").asText();
                write(server, id, "/notes/kept.txt", "written after the snapshot".getBytes());
                // A stopping server seals what changed since the last seal.
            }
            // The node's whole volume pool is gone (a new machine with the same store and object store).
            new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.resolve("volumes").toString()).start().waitFor();
            assertThat(dataDir.resolve("volumes")).doesNotExist();
            try (var objects = Files.list(dataDir.resolve("volume-objects/sha256"))) {
                assertThat(objects.toList()).as("only ciphertext in the volume object store").isNotEmpty()
                        .allSatisfy(object -> {
                            try (var in = Files.newInputStream(object)) {
                                assertThat(new String(in.readNBytes(6), java.nio.charset.StandardCharsets.US_ASCII))
                                        .isEqualTo("S0BLOB");
                            }
                        });
            }

            try (TestServer server = TestServer.withSandboxes(dataDir)) {
                String files = "/api/v1/sandboxvolumes/" + id + "/files";
                assertThat(server.authed(files + "?path=/notes/kept.txt").body()).isEqualTo("written after the snapshot");
                assertThat(java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        server.uri(files + "?path=/data/big.bin")).header("Authorization", "Bearer " + server.adminKey())
                        .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(big);
                assertThat(ok(server.authed(files + "/stat?path=/notes/kept.txt"), 200).get("size").asLong())
                        .isEqualTo(26);
                ok(server.json("POST", "/api/v1/sandboxvolumes/" + id + "/snapshots/" + snapshotId + "/restore", null),
                        200);
                assertThat(server.authed(files + "?path=/notes/kept.txt").body()).isEqualTo("sealed before the snapshot");
                String fork = ok(server.json("POST", "/api/v1/sandboxvolumes/" + id + "/fork", null), 201).get("id").asText();
                assertThat(server.authed("/api/v1/sandboxvolumes/" + fork + "/files?path=/notes/kept.txt").body())
                        .isEqualTo("sealed before the snapshot");
                ok(server.json("DELETE", "/api/v1/sandboxvolumes/" + fork, null), 200);
                ok(server.json("DELETE", "/api/v1/sandboxvolumes/" + id, null), 200);
            }
        } finally {
            remove(dataDir);
        }
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
    }

    @Test
    void onPostgresAndS3AVolumeWhoseHostLostItComesBackFromTheBucketWhichHoldsOnlyCiphertext() throws Exception {
        Path dataDir = Files.createTempDirectory("s0-volume-s3");
        var bucket = ai.sandbox0.server.blob.TestS3.newBucket("node-v");
        String store = ai.sandbox0.server.store.TestDatabases.newPostgresDatabase();
        String marker = "plaintext-marker-that-must-not-reach-the-bucket";
        try {
            String id;
            try (TestServer server = TestServer.withSandboxes(dataDir, bucket, store)) {
                id = ok(server.json("POST", "/api/v1/sandboxvolumes", "{}"), 201).get("id").asText();
                write(server, id, "/secret.txt", (marker + "\n").repeat(1000).getBytes());
                write(server, id, "/dir/small.txt", "small".getBytes());
            }
            new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.resolve("volumes").toString()).start().waitFor();
            try (var s3 = ai.sandbox0.server.blob.TestS3.client()) {
                var keys = s3.listObjectsV2Paginator(b -> b.bucket(bucket.bucket())).contents().stream()
                        .map(software.amazon.awssdk.services.s3.model.S3Object::key)
                        .filter(k -> k.startsWith("node-v/volumes/")).toList();
                assertThat(keys).as("the volume's chunks and manifests, under the volumes/ prefix").isNotEmpty();
                for (String key : keys) {
                    String object = new String(s3.getObjectAsBytes(b -> b.bucket(bucket.bucket()).key(key)).asByteArray(),
                            java.nio.charset.StandardCharsets.ISO_8859_1);
                    assertThat(object).as(key).startsWith("S0BLOB").doesNotContain(marker).doesNotContain("secret.txt");
                }
            }
            try (TestServer server = TestServer.withSandboxes(dataDir, bucket, store)) {
                String files = "/api/v1/sandboxvolumes/" + id + "/files";
                assertThat(server.authed(files + "?path=/secret.txt").body()).isEqualTo((marker + "\n").repeat(1000));
                assertThat(server.authed(files + "?path=/dir/small.txt").body()).isEqualTo("small");
                ok(server.json("DELETE", "/api/v1/sandboxvolumes/" + id, null), 200);
            }
        } finally {
            remove(dataDir);
        }
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
    }

    /** Removes a stopped server's data dir (a layer extraction may still be finishing: retried for a while). */
    private static void remove(Path dataDir) throws Exception {
        for (int attempt = 0; attempt < 30 && Files.exists(dataDir); attempt++) {
            new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
            if (Files.exists(dataDir)) {
                Thread.sleep(1000);
            }
        }
    }

    private static void write(TestServer server, String volume, String path, byte[] content) throws Exception {
        ok(server.send(HttpRequest.newBuilder(server.uri("/api/v1/sandboxvolumes/" + volume + "/files?path=" + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(content)), "Authorization", "Bearer " + server.adminKey()),
                200);
    }
}
