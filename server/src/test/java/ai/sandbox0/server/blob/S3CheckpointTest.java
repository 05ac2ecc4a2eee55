package ai.sandbox0.server.blob;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.BlobStorage;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Production mode, PostgreSQL and S3, with real sandboxes: a pause puts the checkpoint in the bucket, and a
 * restarted server that lost every extracted layer finds the sandbox in the store and resumes and forks it
 * from the bucket alone.
 */
class S3CheckpointTest {

    private Path dataDir;
    private TestServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (dataDir != null) {
            assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
            new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
        }
    }

    @Test
    void onPostgresAndS3APausedSandboxSurvivesARestartAndResumesAndForksFromTheBucket() throws Exception {
        BlobStorage.S3 bucket = TestS3.newBucket("node-a");
        dataDir = Files.createTempDirectory("s0-s3-checkpoint");
        String store = TestDatabases.newPostgresDatabase();
        server = TestServer.withSandboxes(dataDir, bucket, store);

        String id = ok(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\"}"), 201).get("sandbox_id").asText();
        write(id, "/root/notes.txt", "kept in S3");
        List<String> before = keys(bucket);
        pauseAndWait(id);

        List<String> after = keys(bucket);
        assertThat(after).as("the checkpoint layer").hasSizeGreaterThan(before.size()).allMatch(k -> k.startsWith("node-a/sha256/"));
        assertThat(before).as("the image layer went to the bucket too").isNotEmpty();
        assertThat(dataDir.resolve("storage/blobs")).as("no local blob dir").doesNotExist();
        try (S3Client s3 = TestS3.client()) {
            for (String key : after) {
                byte[] head = s3.getObjectAsBytes(b -> b.bucket(bucket.bucket()).key(key).range("bytes=0-7")).asByteArray();
                assertThat(new String(head, java.nio.charset.StandardCharsets.ISO_8859_1)).as("object %s is encrypted", key)
                        .isEqualTo("S0BLOB\u0000\u0001");
            }
        }

        // A restart that lost every extracted layer: only the bucket has them now.
        server.close();
        server = null;
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
        Path extracted = dataDir.resolve("storage/layers/layers");
        new ProcessBuilder("rm", "-rf", "--one-file-system", extracted.toString()).start().waitFor();
        Files.createDirectories(extracted);
        server = TestServer.withSandboxes(dataDir, bucket, store);
        assertThat(ok(server.authed("/api/v1/sandboxes/" + id), 200).get("status").asText()).isEqualTo("paused");

        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/resume", null), 200);
        assertThat(read(id, "/root/notes.txt")).isEqualTo("kept in S3");

        write(id, "/root/notes.txt", "forked");
        pauseAndWait(id);
        String fork = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/fork", "{}"), 201).at("/sandbox/id").asText();
        ok(server.json("POST", "/api/v1/sandboxes/" + fork + "/resume", null), 200);
        assertThat(read(fork, "/root/notes.txt")).isEqualTo("forked");
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
        server.json("DELETE", "/api/v1/sandboxes/" + fork, null);
    }

    private static List<String> keys(BlobStorage.S3 bucket) {
        try (S3Client s3 = TestS3.client()) {
            return s3.listObjectsV2Paginator(b -> b.bucket(bucket.bucket())).contents().stream().map(S3Object::key).toList();
        }
    }

    private void pauseAndWait(String id) throws Exception {
        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/pause", null), 200);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode sandbox = ok(server.authed("/api/v1/sandboxes/" + id), 200);
        while (!(sandbox.get("status").asText().equals("paused") && sandbox.get("paused").asBoolean())) {
            assertThat(System.nanoTime()).as("paused within 60 s (last: %s)", sandbox).isLessThan(deadline);
            Thread.sleep(100);
            sandbox = ok(server.authed("/api/v1/sandboxes/" + id), 200);
        }
    }

    private void write(String id, String path, String content) throws Exception {
        ok(server.send(HttpRequest.newBuilder(server.uri("/api/v1/sandboxes/" + id + "/files?path=" + path))
                .POST(HttpRequest.BodyPublishers.ofString(content)),
                "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/octet-stream"), 200);
    }

    private String read(String id, String path) throws Exception {
        HttpResponse<String> response = server.authed("/api/v1/sandboxes/" + id + "/files?path=" + path);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }
}
