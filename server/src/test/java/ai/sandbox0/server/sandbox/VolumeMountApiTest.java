package ai.sandbox0.server.sandbox;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.volume.VolumeAccessMode;
import ai.sandbox0.server.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sandbox volumes mounted at claim, end to end on real sandboxes and a real volume pool (spec §1.4, scenarios
 * 22-24): every way a claim's mounts are refused, a ROX volume shared read-only, an RWO volume with one writer
 * whose files keep their owners on both sides, kept across pause and resume and a server restart, released by
 * delete.
 */
class VolumeMountApiTest {

    private static final String TEMPLATE = "{\"template_id\":\"with-volumes\",\"spec\":{\"mainContainer\":{\"image\":\"default\","
            + "\"resources\":{\"cpu\":\"500m\",\"memory\":\"2Gi\"}},\"volumeMounts\":["
            + "{\"name\":\"data\",\"mountPath\":\"/workspace/data\"},"
            + "{\"name\":\"shared\",\"mountPath\":\"/mnt/shared\",\"readOnly\":true},"
            + "{\"name\":\"other\",\"mountPath\":\"/mnt/other\"}]}}";

    private static Path dataDir;
    private static TestServer server;
    private static String team;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-volume-mounts");
        server = TestServer.withSandboxes(dataDir);
        team = server.adminTeamId();
        ok(server.json("POST", "/api/v1/templates", TEMPLATE), 201);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        // Nothing of a sandbox or of the volume pool stays mounted or attached.
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
        var losetup = new ProcessBuilder("losetup", "-a").start();
        assertThat(new String(losetup.getInputStream().readAllBytes())).doesNotContain(dataDir.toString());
        new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
    }

    private static String mounts(String... volumeAndPoint) {
        var sb = new StringBuilder("[");
        for (int i = 0; i < volumeAndPoint.length; i += 2) {
            sb.append(i == 0 ? "" : ",").append("{\"sandboxvolume_id\":").append(Json.writeString(volumeAndPoint[i]))
                    .append(",\"mount_point\":").append(Json.writeString(volumeAndPoint[i + 1])).append('}');
        }
        return sb.append(']').toString();
    }

    private static java.net.http.HttpResponse<String> claim(String mounts) throws Exception {
        return server.json("POST", "/api/v1/sandboxes", "{\"template\":\"with-volumes\",\"mounts\":" + mounts + "}");
    }

    private static String cmd(String id, String script) throws Exception {
        JsonNode result = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\"," + Json.writeString(script) + "]},\"wait_until_done\":true}"),
                201);
        return result.get("output_raw").asText();
    }

    private static JsonNode get(String id) throws Exception {
        return ok(server.authed("/api/v1/sandboxes/" + id), 200);
    }

    private static void pauseAndWait(String id) throws Exception {
        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/pause", null), 200);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Predicate<JsonNode> paused = s -> s.get("status").asText().equals("paused") && s.get("paused").asBoolean();
        JsonNode sandbox = get(id);
        while (!paused.test(sandbox)) {
            assertThat(System.nanoTime()).as("paused within 60 s (last: %s)", sandbox).isLessThan(deadline);
            Thread.sleep(100);
            sandbox = get(id);
        }
    }

    private static int sandboxCount() throws Exception {
        return ok(server.authed("/api/v1/sandboxes"), 200).get("count").asInt();
    }

    private static String owner(Path p) throws Exception {
        return Files.getAttribute(p, "unix:uid") + ":" + Files.getAttribute(p, "unix:gid");
    }

    @Test
    void everyBadMountIsRefusedBeforeAnythingStarts() throws Exception {
        String rwo = server.createVolume(team, VolumeAccessMode.RWO, 0, 0);
        String rwo2 = server.createVolume(team, VolumeAccessMode.RWO, 0, 0);
        String rox = server.createVolume(team, VolumeAccessMode.ROX, 0, 0);
        String rwx = server.createVolume(team, VolumeAccessMode.RWX, 0, 0);
        String othersTeam = server.createVolume("another-team", VolumeAccessMode.RWO, 0, 0);
        int before = sandboxCount();

        assertError(claim("[{\"mount_point\":\"/workspace/data\"}]"), 400, "bad_request",
                "invalid claim request: mounts[0].sandboxvolume_id is required");
        assertError(claim("[{\"sandboxvolume_id\":\"  \",\"mount_point\":\"/workspace/data\"}]"), 400, "bad_request",
                "mounts[0].sandboxvolume_id is required");
        assertError(claim("[{\"sandboxvolume_id\":\"" + rwo + "\"}]"), 400, "bad_request",
                "mounts[0].mount_point is required");
        assertError(claim(mounts(rwo, "workspace/data")), 400, "bad_request",
                "mounts[0].mount_point \"workspace/data\" is invalid: it must be an absolute path without '..'");
        assertError(claim(mounts(rwo, "/workspace/../workspace/data")), 400, "bad_request", "is invalid");
        assertError(claim(mounts(rwo, "/")), 400, "bad_request", "mounts[0].mount_point must not be /");
        assertError(claim(mounts(rwo, "/var/lib/sandbox0/procd/state")), 400, "bad_request",
                "mounts[0].mount_point \"/var/lib/sandbox0/procd/state\" uses a sandbox0 reserved path");
        assertError(claim(mounts(rwo, "/proc/x")), 400, "bad_request", "uses a sandbox0 reserved path");
        assertError(claim(mounts(rwo, "/workspace/data", rwo, "/mnt/other")), 400, "bad_request",
                "duplicate sandboxvolume_id \"" + rwo + "\" in claim mounts");
        // Scenario 22: two volumes on one mount point; a mount point the template does not declare.
        assertError(claim(mounts(rwo, "/workspace/data", rwo2, "/workspace/data/")), 400, "bad_request",
                "duplicate mount_point \"/workspace/data\" in claim mounts");
        assertError(claim(mounts(rwo, "/srv/data")), 400, "bad_request",
                "mounts[0].mount_point \"/srv/data\" is not declared by template with-volumes");
        // Scenario 23: a read-write template mount takes neither an RWX nor a ROX volume; RWX goes nowhere.
        assertError(claim(mounts(rwx, "/workspace/data")), 400, "bad_request", "RWX volumes cannot be mounted into sandboxes");
        assertError(claim(mounts(rwx, "/mnt/shared")), 400, "bad_request", "RWX volumes cannot be mounted into sandboxes");
        assertError(claim(mounts(rox, "/workspace/data")), 400, "bad_request",
                "volume " + rox + " is ROX but template mount /workspace/data is read-write");
        // Another team's volume is as absent as one that never was.
        assertError(claim(mounts(othersTeam, "/workspace/data")), 404, "not_found",
                "sandbox volume " + othersTeam + " not found");
        assertError(claim(mounts("9b7c1e8e-0000-4000-8000-000000000000", "/workspace/data")), 404, "not_found",
                "not found");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"mounts\":"
                + mounts(rwo, "/workspace/data") + "}"), 400, "bad_request", "is not declared by template default");

        assertThat(sandboxCount()).as("no refused claim left a sandbox").isEqualTo(before);
        JsonNode claimed = ok(claim(mounts(rwo, "/workspace/data")), 201);
        assertThat(claimed.get("bootstrap_mounts")).as("nor a hold on the volume").hasSize(1);
        server.json("DELETE", "/api/v1/sandboxes/" + claimed.get("sandbox_id").asText(), null);
    }

    /** Scenario 23: a read-only template mount; two sandboxes share one ROX volume and read its seed file. */
    @Test
    void twoSandboxesShareAroxVolumeReadOnly() throws Exception {
        String rox = server.createVolume(team, VolumeAccessMode.ROX, 0, 0);
        Path seed = Files.writeString(server.volumeDir(rox).resolve("seed.txt"), "seeded on the host\n");
        Files.setAttribute(seed, "unix:uid", 1000);
        Files.setAttribute(seed, "unix:gid", 1000);

        Instant before = Instant.now().minusSeconds(1);
        JsonNode a = ok(claim(mounts(rox, "/mnt/shared")), 201);
        JsonNode b = ok(claim(mounts(rox, "/mnt/shared")), 201);
        for (JsonNode claimed : List.of(a, b)) {
            JsonNode status = claimed.get("bootstrap_mounts").get(0);
            assertThat(status.get("sandboxvolume_id").asText()).isEqualTo(rox);
            assertThat(status.get("mount_point").asText()).isEqualTo("/mnt/shared");
            assertThat(status.get("state").asText()).isEqualTo("mounted");
            assertThat(Instant.parse(status.get("mounted_at").asText())).isAfter(before);
            assertThat(status.get("mounted_duration_sec").asLong()).isZero();
            assertThat(claimed.get("bootstrap_mounts")).hasSize(1);

            String id = claimed.get("sandbox_id").asText();
            assertThat(get(id).get("mounts").toString()).isEqualTo("[{\"sandboxvolume_id\":\"" + rox
                    + "\",\"mount_point\":\"/mnt/shared\"}]");
            assertThat(cmd(id, "cat /mnt/shared/seed.txt; stat -c %u:%g /mnt/shared/seed.txt"))
                    .isEqualTo("seeded on the host\n1000:1000\n");
            assertThat(cmd(id, "touch /mnt/shared/mine; echo rc=$?")).contains("Read-only file system").contains("rc=1");
        }
        assertThat(server.volumeDir(rox).resolve("mine")).doesNotExist();
        server.json("DELETE", "/api/v1/sandboxes/" + a.get("sandbox_id").asText(), null);
        server.json("DELETE", "/api/v1/sandboxes/" + b.get("sandbox_id").asText(), null);
    }

    /**
     * Scenario 24 and the lifecycle: an RWO volume has one writer; writes inside are on the volume with their
     * owners and host writes are inside at once; a pause keeps the volume held and a resume mounts it again with
     * its data; a delete lets another sandbox have it.
     */
    @Test
    void anRwoVolumeHasOneWriterAcrossPauseAndResumeUntilDeleted() throws Exception {
        String rwo = server.createVolume(team, VolumeAccessMode.RWO, 1000, 1000);
        Path dir = server.volumeDir(rwo);
        String a = ok(claim(mounts(rwo, "/workspace/data")), 201).get("sandbox_id").asText();

        assertThat(cmd(a, "stat -c %u:%g /workspace/data")).as("the volume's default owner").isEqualTo("1000:1000\n");
        assertThat(cmd(a, "echo by-root > /workspace/data/root.txt && setpriv --reuid=1000 --regid=1000 --clear-groups"
                + " sh -c 'echo by-1000 > /workspace/data/user.txt && mkdir /workspace/data/src' && echo ok")).contains("ok");
        assertThat(Files.readString(dir.resolve("user.txt"))).isEqualTo("by-1000\n");
        assertThat(owner(dir.resolve("user.txt"))).as("stored as the id it has inside").isEqualTo("1000:1000");
        assertThat(owner(dir.resolve("src"))).isEqualTo("1000:1000");
        assertThat(owner(dir.resolve("root.txt"))).isEqualTo("0:0");
        Files.writeString(dir.resolve("host.txt"), "from the host\n");
        assertThat(cmd(a, "cat /workspace/data/host.txt")).isEqualTo("from the host\n");

        assertError(claim(mounts(rwo, "/workspace/data")), 409, "conflict",
                "sandbox volume " + rwo + " is already mounted writable by sandbox " + a);
        assertError(claim(mounts(rwo, "/mnt/shared")), 409, "conflict", "already mounted writable");

        pauseAndWait(a);
        assertThat(get(a).get("mounts").get(0).get("sandboxvolume_id").asText()).as("still its while paused")
                .isEqualTo(rwo);
        assertError(claim(mounts(rwo, "/workspace/data")), 409, "conflict", "already mounted writable");
        Files.writeString(dir.resolve("while-paused.txt"), "written while it slept\n");
        ok(server.json("POST", "/api/v1/sandboxes/" + a + "/resume", null), 200);
        assertThat(cmd(a, "cat /workspace/data/user.txt /workspace/data/while-paused.txt"))
                .isEqualTo("by-1000\nwritten while it slept\n");
        assertThat(cmd(a, "echo after-resume > /workspace/data/after.txt && echo ok")).contains("ok");
        assertThat(Files.readString(dir.resolve("after.txt"))).isEqualTo("after-resume\n");

        ok(server.json("DELETE", "/api/v1/sandboxes/" + a, null), 200);
        assertThat(Files.readString(dir.resolve("after.txt"))).as("a delete leaves the volume's files").isEqualTo("after-resume\n");
        String b = ok(claim(mounts(rwo, "/workspace/data")), 201).get("sandbox_id").asText();
        assertThat(cmd(b, "cat /workspace/data/after.txt")).isEqualTo("after-resume\n");
        server.json("DELETE", "/api/v1/sandboxes/" + b, null);
    }

    /**
     * Scenario 24 through the API only: a volume made with the API, mounted at claim, and its file API see each
     * other's writes at once, large files included; a mounted volume is neither restored nor deleted.
     */
    @Test
    void aMountedVolumeAndItsFileApiSeeEachOthersWrites() throws Exception {
        String volume = ok(server.json("POST", "/api/v1/sandboxvolumes",
                "{\"default_posix_uid\":1000,\"default_posix_gid\":1000}"), 201).get("id").asText();
        String files = "/api/v1/sandboxvolumes/" + volume + "/files";
        String snapshot = ok(server.json("POST", "/api/v1/sandboxvolumes/" + volume + "/snapshots", "{\"name\":\"empty\"}"),
                201).get("id").asText();
        String id = ok(claim(mounts(volume, "/workspace/data")), 201).get("sandbox_id").asText();

        assertThat(cmd(id, "echo from-inside > /workspace/data/in.txt && echo ok")).contains("ok");
        assertThat(server.authed(files + "?path=/in.txt").body()).isEqualTo("from-inside\n");
        ok(server.send(java.net.http.HttpRequest.newBuilder(server.uri(files + "?path=/api/out.txt"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("from-api")),
                "Authorization", "Bearer " + server.adminKey()), 200);
        assertThat(cmd(id, "cat /workspace/data/api/out.txt; echo; stat -c %u:%g /workspace/data/api/out.txt"))
                .as("the volume's default owner, inside too").isEqualTo("from-api\n1000:1000\n");

        // A large file written inside, read through the API, rewritten through the API, read inside.
        String inside = cmd(id, "head -c 30000000 /dev/urandom > /workspace/data/big.bin && sha256sum < /workspace/data/big.bin");
        byte[] big = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                server.uri(files + "?path=/big.bin")).header("Authorization", "Bearer " + server.adminKey()).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body();
        assertThat(big).hasSize(30_000_000);
        assertThat(inside).startsWith(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(big)));
        byte[] rewritten = new byte[25_000_000];
        new java.util.Random(5).nextBytes(rewritten);
        ok(server.send(java.net.http.HttpRequest.newBuilder(server.uri(files + "?path=/big.bin"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(rewritten)),
                "Authorization", "Bearer " + server.adminKey()), 200);
        assertThat(cmd(id, "stat -c %s /workspace/data/big.bin; sha256sum < /workspace/data/big.bin")).isEqualTo(
                "25000000\n" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(rewritten)) + "  -\n");

        assertError(server.json("POST", "/api/v1/sandboxvolumes/" + volume + "/snapshots/" + snapshot + "/restore", null),
                409, "conflict", "mounted");
        assertError(server.json("DELETE", "/api/v1/sandboxvolumes/" + volume, null), 409, "conflict", "active mounts");
        ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
        ok(server.json("POST", "/api/v1/sandboxvolumes/" + volume + "/snapshots/" + snapshot + "/restore", null), 200);
        assertThat(ok(server.authed(files + "/list?path=/"), 200).get("entries")).as("restored to empty").isEmpty();
        ok(server.json("DELETE", "/api/v1/sandboxvolumes/" + volume, null), 200);
    }

    /** A restarted server adopts a running sandbox with its volume still mounted, both ways. */
    @Test
    void aRestartKeepsARunningSandboxsVolumeMounted() throws Exception {
        String rwo = server.createVolume(team, VolumeAccessMode.RWO, 0, 0);
        String id = ok(claim(mounts(rwo, "/workspace/data")), 201).get("sandbox_id").asText();
        assertThat(cmd(id, "echo before > /workspace/data/before.txt && echo ok")).contains("ok");

        server = server.restarted();
        assertThat(get(id).get("status").asText()).isEqualTo("running");
        assertThat(cmd(id, "cat /workspace/data/before.txt; echo after > /workspace/data/after.txt"))
                .isEqualTo("before\n");
        Path dir = server.volumeDir(rwo);
        assertThat(Files.readString(dir.resolve("after.txt"))).isEqualTo("after\n");
        Files.writeString(dir.resolve("host.txt"), "host after restart\n");
        assertThat(cmd(id, "cat /workspace/data/host.txt")).isEqualTo("host after restart\n");
        assertError(claim(mounts(rwo, "/workspace/data")), 409, "conflict", "already mounted writable");
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
    }
}
