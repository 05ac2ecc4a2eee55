package ai.sandbox0.server.volume;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.BlobStorage;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.store.TestDatabases;
import ai.sandbox0.server.tenancy.ApiKeyScope;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code /api/v1/sandboxvolumes} end to end over HTTP on a server with real volumes (btrfs), on both stores:
 * every route and error row of spec §1.2, §1.3 and §3, and acceptance scenarios 1 to 21.
 */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class VolumeApiTest {

    private static final String VOLUMES = "/api/v1/sandboxvolumes";
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    private static final Pattern SECONDS_Z = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @Parameter
    TestDatabases.Kind storeKind;

    private static Path dataDir;
    private static TestServer server;
    private static String otherTeamKey;

    @BeforeParameterizedClassInvocation
    static void start(TestDatabases.Kind kind) throws Exception {
        dataDir = Files.createTempDirectory("s0-volume-api");
        server = TestServer.withSandboxes(dataDir, new BlobStorage.Local(), TestServer.storeOf(kind));
        String bob = server.createUser("bob@example.com", "bob-password");
        String session = server.login("bob@example.com", "bob-password");
        String teamB = ok(server.send(HttpRequest.newBuilder(server.uri("/teams"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"B\"}")).header("Content-Type", "application/json"),
                "Authorization", "Bearer " + session), 201).get("id").asText();
        otherTeamKey = server.mintKey(teamB, bob, bob, ApiKeyScope.TEAM, List.of(Role.ADMIN), true,
                Instant.now().plusSeconds(3600));
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        server.close();
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
        // The node may still be finishing a layer extraction its warm pool started: remove until nothing is left.
        for (int attempt = 0; attempt < 30 && Files.exists(dataDir); attempt++) {
            new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
            if (Files.exists(dataDir)) {
                Thread.sleep(1000);
            }
        }
        assertThat(dataDir).doesNotExist();
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private static JsonNode create(String body) throws Exception {
        return ok(server.json("POST", VOLUMES, body), 201);
    }

    private static String newVolume() throws Exception {
        return create("{}").get("id").asText();
    }

    private static String files(String id, String path) {
        return VOLUMES + "/" + id + "/files?path=" + path;
    }

    private static HttpResponse<String> write(String id, String path, byte[] content, String key) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri(files(id, path)))
                .POST(HttpRequest.BodyPublishers.ofByteArray(content)),
                "Authorization", "Bearer " + key, "Content-Type", "application/octet-stream");
    }

    private static void write(String id, String path, String content) throws Exception {
        JsonNode written = ok(write(id, path, content.getBytes(StandardCharsets.UTF_8), server.adminKey()), 200);
        assertThat(written.get("written").asBoolean()).isTrue();
    }

    private static HttpResponse<byte[]> readRaw(String id, String path, String key, String... headers) throws Exception {
        var request = HttpRequest.newBuilder(server.uri(files(id, path))).GET().header("Authorization", "Bearer " + key);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String read(String id, String path) throws Exception {
        HttpResponse<byte[]> response = readRaw(id, path, server.adminKey());
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static JsonNode snapshot(String id, String name) throws Exception {
        return ok(server.json("POST", VOLUMES + "/" + id + "/snapshots", "{\"name\":\"" + name + "\"}"), 201);
    }

    private static void restore(String id, String snapshotId) throws Exception {
        JsonNode restored = ok(server.json("POST", VOLUMES + "/" + id + "/snapshots/" + snapshotId + "/restore", null), 200);
        assertThat(restored.get("status").asText()).isEqualTo("restored");
    }

    /** Every file under {@code path} with its content, the way a user would compare two trees. */
    private static TreeMap<String, String> tree(String id, String path) throws Exception {
        var all = new TreeMap<String, String>();
        for (JsonNode entry : ok(server.authed(VOLUMES + "/" + id + "/files/list?path=" + path), 200).get("entries")) {
            String child = entry.get("path").asText();
            if (entry.get("type").asText().equals("dir")) {
                all.put(child + "/", "");
                all.putAll(tree(id, child));
            } else {
                all.put(child, read(id, child));
            }
        }
        return all;
    }

    private static HttpResponse<String> other(String method, String path) throws Exception {
        return server.json(method, path, method.equals("POST") ? "{}" : null, otherTeamKey);
    }

    // --- volumes (§1.2) --------------------------------------------------------------------------------------------

    @Test
    void aNewVolumeIsRwoOwnedByRootWithoutSourceAndIsListedAndShown() throws Exception {
        JsonNode volume = create("{}");
        String id = volume.get("id").asText();
        assertThat(id).matches(UUID);
        assertThat(volume.get("access_mode").asText()).isEqualTo("RWO");
        assertThat(volume.get("default_posix_uid").asLong()).isZero();
        assertThat(volume.get("default_posix_gid").asLong()).isZero();
        assertThat(volume.has("source_volume_id")).isFalse();
        assertThat(volume.get("team_id").asText()).isNotBlank();
        assertThat(volume.get("user_id").asText()).isEqualTo(server.adminUserId());
        assertThat(Instant.parse(volume.get("created_at").asText())).isEqualTo(Instant.parse(volume.get("updated_at").asText()));

        assertThat(ok(server.authed(VOLUMES + "/" + id), 200)).isEqualTo(volume);
        JsonNode list = ok(server.authed(VOLUMES), 200);
        assertThat(list.isArray()).isTrue();
        assertThat(list.get(0)).as("newest first").isEqualTo(volume);

        JsonNode owned = create("{\"access_mode\":\"RWX\",\"default_posix_uid\":1000,\"default_posix_gid\":1001}");
        assertThat(owned.get("access_mode").asText()).isEqualTo("RWX");
        assertThat(owned.get("default_posix_uid").asLong()).isEqualTo(1000);
        assertThat(owned.get("default_posix_gid").asLong()).isEqualTo(1001);
        assertThat(ok(server.authed(VOLUMES), 200).get(0).get("id").asText()).isEqualTo(owned.get("id").asText());
    }

    @Test
    void badCreateRequestsAre400sAndAnUnknownSnapshotIs404() throws Exception {
        assertError(server.json("POST", VOLUMES, "{\"access_mode\":\"XYZ\"}"), 400, "bad_request", "access_mode");
        assertError(server.json("POST", VOLUMES, "{\"default_posix_uid\":1000}"), 400, "bad_request",
                "default_posix_uid and default_posix_gid must be set together");
        assertError(server.json("POST", VOLUMES, "{\"default_posix_gid\":5}"), 400, "bad_request", "set together");
        assertError(server.json("POST", VOLUMES, "{\"default_posix_uid\":-1,\"default_posix_gid\":0}"), 400, "bad_request",
                "between 0 and");
        assertError(server.json("POST", VOLUMES, "{\"default_posix_uid\":4294967295,\"default_posix_gid\":0}"), 400,
                "bad_request", "between 0 and");
        assertError(server.json("POST", VOLUMES, "{\"default_posix_uid\":\"1000\",\"default_posix_gid\":0}"), 400,
                "bad_request", "default_posix_uid");
        assertError(server.json("POST", VOLUMES, "{\"snapshot_id\":\"  \"}"), 400, "bad_request", "snapshot_id");
        assertError(server.json("POST", VOLUMES, null), 400, "bad_request", "request body is required");
        assertError(server.json("POST", VOLUMES, "null"), 400, "bad_request", "request body is required");
        assertError(server.json("POST", VOLUMES, "{\"access_mode\":"), 400, "bad_request", "malformed JSON");
        assertError(server.json("POST", VOLUMES, "{\"snapshot_id\":\"" + VolumeIds.next() + "\"}"), 404, "not_found",
                "snapshot");
        assertError(server.json("POST", VOLUMES, "{\"snapshot_id\":\"snap_123\"}"), 404, "not_found", "snapshot");
    }

    @Test
    void anotherTeamNeitherSeesNorTouchesAVolume() throws Exception {
        String id = newVolume();
        write(id, "/secret.txt", "team A only");
        String snapshotId = snapshot(id, "s").get("id").asText();
        String volume = VOLUMES + "/" + id;

        assertError(other("GET", volume), 404, "not_found", "not found");
        assertThat(other("GET", VOLUMES).body()).doesNotContain(id);
        assertError(other("DELETE", volume), 404, "not_found", "not found");
        assertError(other("POST", volume + "/fork"), 404, "not_found", "not found");
        assertError(other("GET", volume + "/files?path=/secret.txt"), 404, "not_found", "not found");
        assertError(other("GET", volume + "/files/stat?path=/secret.txt"), 404, "not_found", "not found");
        assertError(other("DELETE", volume + "/files?path=/secret.txt"), 404, "not_found", "not found");
        assertError(other("GET", volume + "/snapshots"), 404, "not_found", "not found");
        assertError(other("GET", volume + "/snapshots/" + snapshotId), 404, "not_found", "not found");
        assertError(other("POST", volume + "/snapshots/" + snapshotId + "/restore"), 404, "not_found", "not found");
        assertError(other("DELETE", volume + "/snapshots/" + snapshotId), 404, "not_found", "not found");
        assertError(server.json("POST", VOLUMES, "{\"snapshot_id\":\"" + snapshotId + "\"}", otherTeamKey), 404,
                "not_found", "snapshot");

        // all of it is still there for team A
        assertThat(read(id, "/secret.txt")).isEqualTo("team A only");
        ok(server.authed(volume + "/snapshots/" + snapshotId), 200);
    }

    @Test
    void deleteRemovesTheVolumeAndIsIdempotent() throws Exception {
        String id = newVolume();
        write(id, "/a.txt", "a");
        snapshot(id, "kept-with-the-volume");
        JsonNode deleted = ok(server.json("DELETE", VOLUMES + "/" + id, null), 200);
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertError(server.authed(VOLUMES + "/" + id), 404, "not_found", "sandbox volume " + id + " not found");
        assertThat(server.authed(VOLUMES).body()).doesNotContain(id);
        assertError(server.authed(VOLUMES + "/" + id + "/snapshots"), 404, "not_found", "not found");
        assertThat(ok(server.json("DELETE", VOLUMES + "/" + id, null), 200).get("deleted").asBoolean()).isTrue();
        assertThat(ok(server.json("DELETE", VOLUMES + "/" + VolumeIds.next(), null), 200).get("deleted").asBoolean())
                .isTrue();
        int snapshotRows = server.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM volume_snapshots"
                + " WHERE volume_id = :v").bind("v", id).mapTo(Integer.class).one());
        assertThat(snapshotRows).as("its snapshots went with it").isZero();
    }

    @Test
    void idsThatAreNotUuidsNameNothing() throws Exception {
        for (String bad : List.of("vol_123", "not-a-uuid", "..a", "00000000-0000-4000-8000-00000000000Z",
                "A0000000-0000-4000-8000-000000000000", "x".repeat(5000))) {
            assertError(server.authed(VOLUMES + "/" + bad), 404, "not_found", "not found");
            assertError(server.authed(VOLUMES + "/" + bad + "/snapshots"), 404, "not_found", "not found");
            assertError(server.authed(VOLUMES + "/" + bad + "/files/stat?path=/"), 404, "not_found", "not found");
            assertError(server.json("POST", VOLUMES + "/" + bad + "/fork", null), 404, "not_found", "not found");
            assertThat(server.json("DELETE", VOLUMES + "/" + bad, null).statusCode()).isEqualTo(200);
        }
        String id = newVolume();
        assertError(server.authed(VOLUMES + "/" + id + "/snapshots/snap_1"), 404, "not_found", "snapshot");
        assertError(server.json("POST", VOLUMES + "/" + id + "/snapshots/snap_1/restore", null), 404, "not_found",
                "snapshot");
        assertThat(server.json("DELETE", VOLUMES + "/" + id + "/snapshots/snap_1", null).statusCode()).isEqualTo(200);
        assertThat(server.authed(VOLUMES + "/" + "x".repeat(5000)).body().length()).isLessThan(400);
    }

    @Test
    void mountRecordsRefuseADeleteUntilForced() throws Exception {
        String id = newVolume();
        new VolumeMounts(server.jdbi()).claim("sb-gone", List.of(new VolumeMounts.Mount(id, "sb-gone", "/data", false,
                Instant.parse("2026-12-01T10:00:00Z"))));

        HttpResponse<String> refused = server.json("DELETE", VOLUMES + "/" + id, null);
        assertError(refused, 409, "conflict", "volume has active mounts");
        JsonNode details = Json.mapper().readTree(refused.body()).at("/error/details");
        assertThat(details.get("active_mounts").asInt()).isEqualTo(1);
        assertThat(details.get("mounts").get(0).get("sandbox_id").asText()).isEqualTo("sb-gone");
        assertThat(details.get("mounts").get(0).get("mount_point").asText()).isEqualTo("/data");
        assertThat(details.get("hint").asText()).isEqualTo("retry with force=true to remove orphan mount records");
        ok(server.authed(VOLUMES + "/" + id), 200);

        // No sandbox has it mounted: the records are orphans, and force drops them with the volume.
        assertThat(ok(server.json("DELETE", VOLUMES + "/" + id + "?force=true", null), 200).get("deleted").asBoolean())
                .isTrue();
        assertError(server.authed(VOLUMES + "/" + id), 404, "not_found", "not found");
        assertThat(new VolumeMounts(server.jdbi()).ofVolume(id)).isEmpty();
        assertError(server.json("DELETE", VOLUMES + "/" + newVolume() + "?force=maybe", null), 400, "bad_request",
                "force");
    }

    // --- files (§1.3) ----------------------------------------------------------------------------------------------

    @Test
    void aFileReadsBackRawOrAsBase64Json() throws Exception {
        String id = newVolume();
        write(id, "/docs/readme.txt", "hello volume\n");
        HttpResponse<byte[]> raw = readRaw(id, "/docs/readme.txt", server.adminKey());
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/octet-stream");
        assertThat(new String(raw.body(), StandardCharsets.UTF_8)).isEqualTo("hello volume\n");

        for (String header : List.of("Accept", "Content-Type")) {
            HttpResponse<byte[]> json = readRaw(id, "/docs/readme.txt", server.adminKey(), header, "application/json");
            assertThat(json.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
            JsonNode data = Json.mapper().readTree(json.body()).get("data");
            assertThat(data.get("encoding").asText()).isEqualTo("base64");
            assertThat(Base64.getDecoder().decode(data.get("content").asText())).isEqualTo("hello volume\n".getBytes());
        }

        // every byte value, and sizes around the encoder's chunk
        for (int size : List.of(0, 1, 2, 3, 49_151, 49_152, 49_153, 300_001)) {
            byte[] bytes = new byte[size];
            for (int i = 0; i < size; i++) {
                bytes[i] = (byte) (i * 31 + (i >> 8));
            }
            ok(write(id, "/bin/blob", bytes, server.adminKey()), 200);
            assertThat(readRaw(id, "/bin/blob", server.adminKey()).body()).isEqualTo(bytes);
            JsonNode data = Json.mapper().readTree(readRaw(id, "/bin/blob", server.adminKey(), "Accept",
                    "application/json").body()).get("data");
            assertThat(Base64.getDecoder().decode(data.get("content").asText())).as("size %d", size).isEqualTo(bytes);
        }
        // an overwrite replaces the whole content
        write(id, "/docs/readme.txt", "short");
        assertThat(read(id, "/docs/readme.txt")).isEqualTo("short");
    }

    @Test
    void statAndListDescribeFilesAndNeedAPath() throws Exception {
        String id = newVolume();
        write(id, "/docs/readme.txt", "12345");
        JsonNode stat = ok(server.authed(VOLUMES + "/" + id + "/files/stat?path=/docs/readme.txt"), 200);
        assertThat(stat.get("name").asText()).isEqualTo("readme.txt");
        assertThat(stat.get("path").asText()).isEqualTo("/docs/readme.txt");
        assertThat(stat.get("type").asText()).isEqualTo("file");
        assertThat(stat.get("size").asLong()).isEqualTo(5);
        assertThat(stat.get("mode").asText()).matches("0[0-7]{3}");
        assertThat(stat.get("is_link").asBoolean()).isFalse();
        assertThat(Instant.parse(stat.get("mod_time").asText())).isBefore(Instant.now().plusSeconds(5));
        assertThat(ok(server.authed(VOLUMES + "/" + id + "/files/stat?path=/docs"), 200).get("type").asText())
                .isEqualTo("dir");
        // paths are cleaned: relative, doubled slashes and dots name the same file
        assertThat(ok(server.authed(VOLUMES + "/" + id + "/files/stat?path=docs//./readme.txt"), 200).get("path").asText())
                .isEqualTo("/docs/readme.txt");

        JsonNode entries = ok(server.authed(VOLUMES + "/" + id + "/files/list?path=/docs"), 200).get("entries");
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).get("path").asText()).isEqualTo("/docs/readme.txt");
        assertThat(entries.get(0).get("size").asLong()).isEqualTo(5);

        for (String route : List.of("/files", "/files/stat", "/files/list")) {
            assertError(server.authed(VOLUMES + "/" + id + route), 400, "bad_request", "path is required");
        }
        assertError(server.authed(VOLUMES + "/" + id + "/files/stat?path=/nope"), 404, "not_found", "/nope");
        assertError(server.authed(VOLUMES + "/" + id + "/files?path=/nope"), 404, "not_found", "/nope");
        assertError(server.authed(VOLUMES + "/" + id + "/files/list?path=/nope"), 404, "not_found", "/nope");
        assertError(server.authed(VOLUMES + "/" + id + "/files/list?path=/docs/readme.txt"), 409, "conflict",
                "not a directory");
    }

    @Test
    void mkdirMoveAndRecursiveDelete() throws Exception {
        String id = newVolume();
        write(id, "/docs/readme.txt", "r");
        JsonNode created = ok(server.json("POST", files(id, "/a/b") + "&mkdir=true&recursive=true", null), 201);
        assertThat(created.get("created").asBoolean()).isTrue();
        assertThat(ok(server.authed(VOLUMES + "/" + id + "/files/stat?path=/a/b"), 200).get("type").asText())
                .isEqualTo("dir");
        ok(server.json("POST", files(id, "/a/b") + "&mkdir=true&recursive=true", null), 201);
        assertError(server.json("POST", files(id, "/a/b") + "&mkdir=true", null), 409, "conflict", "/a/b");
        assertError(server.json("POST", files(id, "/x/y/z") + "&mkdir=true", null), 404, "not_found", "");

        JsonNode moved = ok(server.json("POST", VOLUMES + "/" + id + "/files/move",
                "{\"source\":\"/docs/readme.txt\",\"destination\":\"/a/b/r.txt\"}"), 200);
        assertThat(moved.get("moved").asBoolean()).isTrue();
        assertThat(read(id, "/a/b/r.txt")).isEqualTo("r");
        assertError(server.authed(VOLUMES + "/" + id + "/files?path=/docs/readme.txt"), 404, "not_found", "");
        assertError(server.json("POST", VOLUMES + "/" + id + "/files/move", "{\"source\":\"/a/b/r.txt\"}"), 400,
                "bad_request", "source and destination are required");
        assertError(server.json("POST", VOLUMES + "/" + id + "/files/move",
                "{\"source\":\"/gone\",\"destination\":\"/x\"}"), 404, "not_found", "");

        write(id, "/a/b/c/deep.txt", "d");
        JsonNode deleted = ok(server.json("DELETE", files(id, "/a"), null), 200);
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertError(server.authed(VOLUMES + "/" + id + "/files/stat?path=/a/b/c/deep.txt"), 404, "not_found", "");
        assertError(server.authed(VOLUMES + "/" + id + "/files/stat?path=/a"), 404, "not_found", "");
        assertError(server.json("DELETE", files(id, "/"), null), 400, "bad_request", "volume root");
        assertThat(ok(server.authed(VOLUMES + "/" + id + "/files/list?path=/"), 200).get("entries").toString())
                .contains("/docs");
    }

    @Test
    void aWriteOver100MiBIs413() throws Exception {
        String id = newVolume();
        HttpResponse<String> declared = write(id, "/big.bin", new byte[(int) (101L << 20)], server.adminKey());
        assertError(declared, 413, "bad_request", "100 MiB");

        // Chunked, so the size is only known as it streams.
        byte[] chunk = new byte[1 << 20];
        HttpResponse<String> streamed = server.send(HttpRequest.newBuilder(server.uri(files(id, "/big.bin")))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new InputStream() {
                    private long left = 101L << 20;

                    @Override
                    public int read() {
                        return left-- > 0 ? 0 : -1;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (left <= 0) {
                            return -1;
                        }
                        int n = (int) Math.min(Math.min(len, chunk.length), left);
                        left -= n;
                        return n;
                    }
                })), "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/octet-stream");
        assertError(streamed, 413, "bad_request", "100 MiB");
        ok(write(id, "/exactly.bin", new byte[100 << 20], server.adminKey()), 200);
        assertThat(ok(server.authed(VOLUMES + "/" + id + "/files/stat?path=/exactly.bin"), 200).get("size").asLong())
                .isEqualTo(100L << 20);
    }

    @Test
    void aTarArchiveUnpacksUnderThePath() throws Exception {
        String id = newVolume();
        byte[] tar = new TarBuilder().directory("lib").file("lib/a.txt", "alpha").file("main.py", "print(1)\n")
                .symlink("lib/link", "a.txt").build();
        JsonNode counts = ok(server.send(HttpRequest.newBuilder(server.uri(VOLUMES + "/" + id + "/files/archive?path=/app"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(tar)),
                "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/x-tar"), 200);
        assertThat(counts.get("files").asLong()).isEqualTo(2);
        assertThat(counts.get("directories").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(counts.get("symlinks").asLong()).isEqualTo(1);
        assertThat(counts.get("bytes").asLong()).isEqualTo("alpha".length() + "print(1)\n".length());
        assertThat(read(id, "/app/lib/a.txt")).isEqualTo("alpha");
        assertThat(read(id, "/app/main.py")).isEqualTo("print(1)\n");
        JsonNode link = ok(server.authed(VOLUMES + "/" + id + "/files/stat?path=/app/lib/link"), 200);
        assertThat(link.get("type").asText()).isEqualTo("symlink");
        assertThat(link.get("is_link").asBoolean()).isTrue();
        assertThat(link.get("link_target").asText()).isEqualTo("a.txt");

        assertError(server.send(HttpRequest.newBuilder(server.uri(VOLUMES + "/" + id + "/files/archive?path=/app"))
                .PUT(HttpRequest.BodyPublishers.ofString("this is not a tar archive".repeat(40))),
                "Authorization", "Bearer " + server.adminKey()), 400, "bad_request", "");
        assertError(server.send(HttpRequest.newBuilder(server.uri(VOLUMES + "/" + id + "/files/archive"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(tar)),
                "Authorization", "Bearer " + server.adminKey()), 400, "bad_request", "path is required");
    }

    @Test
    void viewersReadFilesButDoNotWriteAndBuildersSeeNoVolumes() throws Exception {
        String id = newVolume();
        write(id, "/r.txt", "read me");
        String viewer = server.keyWithRoles(Role.VIEWER);
        HttpResponse<byte[]> read = readRaw(id, "/r.txt", viewer);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(new String(read.body(), StandardCharsets.UTF_8)).isEqualTo("read me");
        assertThat(server.get(VOLUMES, "Authorization", "Bearer " + viewer).statusCode()).isEqualTo(200);
        assertThat(server.get(VOLUMES + "/" + id + "/snapshots", "Authorization", "Bearer " + viewer).statusCode())
                .isEqualTo(200);
        assertError(write(id, "/r.txt", "overwritten".getBytes(), viewer), 403, "forbidden", "insufficient permissions");
        assertError(server.json("POST", VOLUMES, "{}", viewer), 403, "forbidden", "insufficient permissions");
        assertError(server.json("DELETE", VOLUMES + "/" + id, null, viewer), 403, "forbidden", "insufficient permissions");
        assertError(server.json("POST", VOLUMES + "/" + id + "/fork", null, viewer), 403, "forbidden", "insufficient");
        assertError(server.json("POST", VOLUMES + "/" + id + "/snapshots", "{\"name\":\"v\"}", viewer), 403, "forbidden",
                "insufficient");
        assertThat(read(id, "/r.txt")).isEqualTo("read me");

        String builder = server.keyWithRoles(Role.BUILDER);
        assertError(server.get(VOLUMES, "Authorization", "Bearer " + builder), 403, "forbidden", "insufficient permissions");
        assertError(server.get(VOLUMES + "/" + id + "/files?path=/r.txt", "Authorization", "Bearer " + builder), 403,
                "forbidden", "insufficient permissions");

        String developer = server.keyWithRoles(Role.DEVELOPER);
        ok(write(id, "/dev.txt", "dev".getBytes(), developer), 200);
        ok(server.json("POST", VOLUMES + "/" + id + "/snapshots", "{\"name\":\"dev\"}", developer), 201);
    }

    // --- snapshots, restore, fork (§3) -----------------------------------------------------------------------------

    @Test
    void snapshotsNeedANameAndAreShownWithSecondPrecision() throws Exception {
        String id = newVolume();
        write(id, "/f.txt", "0123456789");
        String path = VOLUMES + "/" + id + "/snapshots";
        assertError(server.json("POST", path, "{}"), 400, "bad_request", "name is required");
        assertError(server.json("POST", path, "{\"name\":\"   \"}"), 400, "bad_request", "name is required");
        assertError(server.json("POST", path, null), 400, "bad_request", "request body is required");
        assertError(server.json("POST", path, "{\"name\":"), 400, "bad_request", "malformed JSON");
        assertError(server.json("POST", path, "{\"name\":\"" + "n".repeat(256) + "\"}"), 400, "bad_request", "name");
        assertError(server.json("POST", VOLUMES + "/" + VolumeIds.next() + "/snapshots", "{\"name\":\"v1\"}"), 404,
                "not_found", "not found");

        JsonNode snapshot = ok(server.json("POST", path, "{\"name\":\"v1\",\"description\":\"d\"}"), 201);
        assertThat(snapshot.get("id").asText()).matches(UUID);
        assertThat(snapshot.get("volume_id").asText()).isEqualTo(id);
        assertThat(snapshot.get("name").asText()).isEqualTo("v1");
        assertThat(snapshot.get("description").asText()).isEqualTo("d");
        // The logical size is measured by the snapshot's seal, which follows the answer (0 until then).
        assertThat(snapshot.get("size_bytes").asLong()).isIn(0L, 10L);
        assertThat(snapshot.get("created_at").asText()).matches(SECONDS_Z);
        assertThat(snapshot.has("expires_at")).isFalse();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (ok(server.authed(path + "/" + snapshot.get("id").asText()), 200).get("size_bytes").asLong() != 10
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        snapshot = ok(server.authed(path + "/" + snapshot.get("id").asText()), 200);
        assertThat(snapshot.get("size_bytes").asLong()).as("once sealed").isEqualTo(10);

        assertThat(ok(server.authed(path + "/" + snapshot.get("id").asText()), 200)).isEqualTo(snapshot);
        JsonNode list = ok(server.authed(path), 200);
        assertThat(list.isArray()).isTrue();
        assertThat(list).containsExactly(snapshot);
        JsonNode second = snapshot(id, "v2");
        assertThat(ok(server.authed(path), 200).get(0).get("id").asText()).as("newest first")
                .isIn(second.get("id").asText(), snapshot.get("id").asText());
        assertThat(ok(server.authed(path), 200)).hasSize(2);
    }

    @Test
    void restoreBringsBackTheSnapshotAndCanBeRepeated() throws Exception {
        String id = newVolume();
        write(id, "/notes.txt", "A");
        String s1 = snapshot(id, "s1").get("id").asText();
        write(id, "/notes.txt", "B");
        restore(id, s1);
        assertThat(read(id, "/notes.txt")).isEqualTo("A");
        restore(id, s1);
        assertThat(read(id, "/notes.txt")).isEqualTo("A");
        assertThat(ok(server.authed(VOLUMES + "/" + id + "/snapshots"), 200).toString()).contains(s1);
        assertThat(Instant.parse(ok(server.authed(VOLUMES + "/" + id), 200).get("updated_at").asText()))
                .isAfter(Instant.now().minusSeconds(30));
    }

    @Test
    void restoreAfterManyWritesGivesExactlyTheSnapshotEveryTime() throws Exception {
        String id = newVolume();
        write(id, "/keep/a.txt", "a");
        write(id, "/keep/b.txt", "b");
        ok(server.json("POST", files(id, "/empty") + "&mkdir=true", null), 201);
        String snapshotId = snapshot(id, "base").get("id").asText();
        TreeMap<String, String> base = tree(id, "/");

        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 20; i++) {
                write(id, "/round" + round + "/f" + i + ".txt", "round " + round + " file " + i);
            }
            write(id, "/keep/a.txt", "changed in round " + round);
            ok(server.json("DELETE", files(id, "/keep/b.txt"), null), 200);
            ok(server.json("POST", VOLUMES + "/" + id + "/files/move", "{\"source\":\"/empty\",\"destination\":\"/moved\"}"),
                    200);
            assertThat(tree(id, "/")).isNotEqualTo(base);
            restore(id, snapshotId);
            assertThat(tree(id, "/")).as("round %d", round).isEqualTo(base);
        }
    }

    @Test
    void aSnapshotBelongsToItsVolume() throws Exception {
        String a = newVolume();
        String b = newVolume();
        write(a, "/x.txt", "x");
        String snapshotId = snapshot(a, "of-a").get("id").asText();

        assertError(server.authed(VOLUMES + "/" + b + "/snapshots/" + snapshotId), 404, "not_found", "snapshot");
        assertError(server.json("POST", VOLUMES + "/" + b + "/snapshots/" + snapshotId + "/restore", null), 404,
                "not_found", "snapshot");
        assertThat(ok(server.json("DELETE", VOLUMES + "/" + b + "/snapshots/" + snapshotId, null), 200)
                .get("deleted").asBoolean()).isTrue();
        assertThat(ok(server.authed(VOLUMES + "/" + a + "/snapshots/" + snapshotId), 200).get("id").asText())
                .isEqualTo(snapshotId);
        assertThat(ok(server.json("DELETE", VOLUMES + "/" + VolumeIds.next() + "/snapshots/" + snapshotId, null), 200)
                .get("deleted").asBoolean()).isTrue();
        ok(server.authed(VOLUMES + "/" + a + "/snapshots/" + snapshotId), 200);
    }

    @Test
    void deletingASnapshotTwiceIsFineAndLeavesTheVolumeAlone() throws Exception {
        String id = newVolume();
        write(id, "/data.txt", "live");
        String snapshotId = snapshot(id, "gone-soon").get("id").asText();
        for (int i = 0; i < 2; i++) {
            assertThat(ok(server.json("DELETE", VOLUMES + "/" + id + "/snapshots/" + snapshotId, null), 200)
                    .get("deleted").asBoolean()).isTrue();
        }
        assertThat(ok(server.authed(VOLUMES + "/" + id + "/snapshots"), 200)).isEmpty();
        assertError(server.authed(VOLUMES + "/" + id + "/snapshots/" + snapshotId), 404, "not_found", "snapshot");
        assertThat(read(id, "/data.txt")).isEqualTo("live");
    }

    @Test
    void aVolumeFromASnapshotHasItsContentAndLivesApart() throws Exception {
        JsonNode source = create("{\"default_posix_uid\":1000,\"default_posix_gid\":1000}");
        String sourceId = source.get("id").asText();
        write(sourceId, "/state.txt", "S1");
        String s1 = snapshot(sourceId, "s1").get("id").asText();
        write(sourceId, "/state.txt", "after s1");

        JsonNode copy = create("{\"snapshot_id\":\"" + s1 + "\",\"access_mode\":\"ROX\"}");
        String copyId = copy.get("id").asText();
        assertThat(copy.get("source_volume_id").asText()).isEqualTo(sourceId);
        assertThat(copy.get("access_mode").asText()).isEqualTo("ROX");
        assertThat(copy.get("default_posix_uid").asLong()).as("POSIX ids come from the request").isZero();
        assertThat(read(copyId, "/state.txt")).isEqualTo("S1");

        write(copyId, "/state.txt", "copy's own");
        write(copyId, "/only-copy.txt", "c");
        assertThat(read(sourceId, "/state.txt")).isEqualTo("after s1");
        assertError(server.authed(VOLUMES + "/" + sourceId + "/files/stat?path=/only-copy.txt"), 404, "not_found", "");
        // the snapshot itself is untouched by both
        restore(sourceId, s1);
        assertThat(read(sourceId, "/state.txt")).isEqualTo("S1");
    }

    @Test
    void aForkInheritsOwnersIsRwoAndWritesStayOnTheirSide() throws Exception {
        String source = create("{\"access_mode\":\"ROX\",\"default_posix_uid\":1000,\"default_posix_gid\":1000}")
                .get("id").asText();
        write(source, "/shared.txt", "original");
        JsonNode fork = ok(server.json("POST", VOLUMES + "/" + source + "/fork", null), 201);
        String forkId = fork.get("id").asText();
        assertThat(forkId).matches(UUID).isNotEqualTo(source);
        assertThat(fork.get("access_mode").asText()).isEqualTo("RWO");
        assertThat(fork.get("source_volume_id").asText()).isEqualTo(source);
        assertThat(fork.get("default_posix_uid").asLong()).isEqualTo(1000);
        assertThat(fork.get("default_posix_gid").asLong()).isEqualTo(1000);
        assertThat(read(forkId, "/shared.txt")).isEqualTo("original");

        write(forkId, "/shared.txt", "fork");
        write(forkId, "/fork-only.txt", "f");
        write(source, "/source-only.txt", "s");
        assertThat(read(source, "/shared.txt")).isEqualTo("original");
        assertThat(read(forkId, "/shared.txt")).isEqualTo("fork");
        assertError(server.authed(VOLUMES + "/" + source + "/files/stat?path=/fork-only.txt"), 404, "not_found", "");
        assertError(server.authed(VOLUMES + "/" + forkId + "/files/stat?path=/source-only.txt"), 404, "not_found", "");
        ok(server.json("DELETE", files(forkId, "/shared.txt"), null), 200);
        assertThat(read(source, "/shared.txt")).isEqualTo("original");

        JsonNode owned = ok(server.json("POST", VOLUMES + "/" + source + "/fork",
                "{\"default_posix_uid\":7,\"default_posix_gid\":8}"), 201);
        assertThat(owned.get("default_posix_uid").asLong()).isEqualTo(7);
        assertThat(owned.get("default_posix_gid").asLong()).isEqualTo(8);
        // deleting the source leaves the fork whole
        ok(server.json("DELETE", VOLUMES + "/" + source, null), 200);
        assertThat(read(forkId, "/fork-only.txt")).isEqualTo("f");
    }

    @Test
    void forkTakesAnAccessModeAndRefusesBadOnesAndUnknownSources() throws Exception {
        String source = newVolume();
        assertThat(ok(server.json("POST", VOLUMES + "/" + source + "/fork", "{\"access_mode\":\"ROX\"}"), 201)
                .get("access_mode").asText()).isEqualTo("ROX");
        assertError(server.json("POST", VOLUMES + "/" + source + "/fork", "{\"access_mode\":\"BAD\"}"), 400,
                "bad_request", "access_mode");
        assertError(server.json("POST", VOLUMES + "/" + source + "/fork", "{\"default_posix_uid\":1}"), 400,
                "bad_request", "set together");
        assertError(server.json("POST", VOLUMES + "/" + VolumeIds.next() + "/fork", null), 404, "not_found",
                "not found");
        assertError(server.json("POST", VOLUMES + "/" + source + "/fork", null, otherTeamKey), 404, "not_found",
                "not found");
    }

    @Test
    void aVolumeFromASnapshotOfAForkHasTheForksState() throws Exception {
        String origin = newVolume();
        write(origin, "/layer.txt", "origin");
        String fork = ok(server.json("POST", VOLUMES + "/" + origin + "/fork", null), 201).get("id").asText();
        write(fork, "/layer.txt", "fork");
        write(fork, "/fork.txt", "added in the fork");
        String snapshotId = snapshot(fork, "of-fork").get("id").asText();
        write(fork, "/layer.txt", "after the snapshot");

        JsonNode grandchild = create("{\"snapshot_id\":\"" + snapshotId + "\"}");
        String id = grandchild.get("id").asText();
        assertThat(grandchild.get("source_volume_id").asText()).isEqualTo(fork);
        assertThat(tree(id, "/")).containsExactly(java.util.Map.entry("/fork.txt", "added in the fork"),
                java.util.Map.entry("/layer.txt", "fork"));
        assertThat(read(origin, "/layer.txt")).isEqualTo("origin");
        // deleting the fork and its snapshots leaves the grandchild whole
        ok(server.json("DELETE", VOLUMES + "/" + fork, null), 200);
        assertThat(read(id, "/fork.txt")).isEqualTo("added in the fork");
    }

    // --- quotas (§8.4) ---------------------------------------------------------------------------------------------

    @Test
    void quotasRefuseWritesAndSnapshotsPastTheirLimits() throws Exception {
        // Team B's own quota, so the other tests' volumes do not count.
        String key = otherTeamKey;
        String empty = ok(server.json("POST", VOLUMES, "{}", key), 201).get("id").asText();
        String full = ok(server.json("POST", VOLUMES, "{}", key), 201).get("id").asText();
        ok(write(full, "/data.bin", new byte[4096], key), 200);
        try {
            ok(server.json("PUT", "/api/v1/quotas/snapshot_storage_gb", "{\"limit_value\":0}", key), 200);
            assertError(server.json("POST", VOLUMES + "/" + full + "/snapshots", "{\"name\":\"n\"}", key), 429,
                    "quota_exceeded", "snapshot_storage_gb");
            ok(server.json("POST", VOLUMES + "/" + empty + "/snapshots", "{\"name\":\"empty\"}", key), 201);
            ok(server.json("PUT", "/api/v1/quotas/snapshot_storage_gb", "{\"limit_value\":1}", key), 200);
            JsonNode snapshot = ok(server.json("POST", VOLUMES + "/" + full + "/snapshots", "{\"name\":\"n\"}", key), 201);
            assertThat(snapshot.get("size_bytes").asLong()).isEqualTo(4096);
            // Usage, in whole GB rounded up: 4096 bytes in volumes and in snapshots count as 1 each.
            JsonNode snapshotQuota = ok(server.json("GET", "/api/v1/quotas/snapshot_storage_gb", null, key), 200);
            assertThat(snapshotQuota.get("limit_value").asLong()).isEqualTo(1);
            assertThat(snapshotQuota.get("usage_value").asLong()).isEqualTo(1);
            assertThat(ok(server.json("GET", "/api/v1/quotas/volume_storage_gb", null, key), 200).get("usage_value")
                    .asLong()).isEqualTo(1);
            assertThat(ok(server.json("GET", "/api/v1/quotas/egress", null, key), 200).get("usage_value").isIntegralNumber())
                    .as("egress is metered in bytes").isTrue();

            ok(server.json("PUT", "/api/v1/quotas/volume_storage_gb", "{\"limit_value\":0}", key), 200);
            assertError(write(empty, "/a.txt", "a".getBytes(), key), 429, "quota_exceeded", "volume_storage_gb");
            assertError(server.send(HttpRequest.newBuilder(server.uri(VOLUMES + "/" + empty + "/files/archive?path=/"))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(new TarBuilder().file("t.txt", "t").build())),
                    "Authorization", "Bearer " + key), 429, "quota_exceeded", "volume_storage_gb");
            assertError(server.json("POST", VOLUMES + "/" + full + "/fork", null, key), 429, "quota_exceeded",
                    "volume_storage_gb");
            assertError(server.json("POST", VOLUMES, "{\"snapshot_id\":\"" + snapshot.get("id").asText() + "\"}", key),
                    429, "quota_exceeded", "volume_storage_gb");
            // What adds nothing still works: an empty file, a directory, a fork of an empty volume, a delete.
            ok(write(empty, "/zero.txt", new byte[0], key), 200);
            ok(server.json("POST", files(empty, "/dir") + "&mkdir=true", null, key), 201);
            ok(server.json("POST", VOLUMES + "/" + empty + "/fork", null, key), 201);
            ok(server.json("DELETE", files(full, "/data.bin"), null, key), 200);
            ok(write(full, "/smaller.bin", new byte[0], key), 200);

            ok(server.json("PUT", "/api/v1/quotas/volume_storage_gb", "{\"limit_value\":1}", key), 200);
            ok(write(empty, "/a.txt", "a".getBytes(), key), 200);
            ok(server.json("POST", VOLUMES + "/" + full + "/fork", null, key), 201);
        } finally {
            ok(server.json("DELETE", "/api/v1/quotas/snapshot_storage_gb", null, key), 200);
            ok(server.json("DELETE", "/api/v1/quotas/volume_storage_gb", null, key), 200);
        }
        ok(write(empty, "/b.txt", "b".getBytes(), key), 200);
    }

    @Test
    void theMetadataListsVolumes() throws Exception {
        assertThat(ok(server.get("/metadata"), 200).get("features").toString()).contains("\"volumes\"");
    }
}
