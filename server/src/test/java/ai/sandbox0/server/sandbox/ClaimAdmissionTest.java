package ai.sandbox0.server.sandbox;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A host starting as many sandboxes as it may turns further claims away at once with 503 and
 * Retry-After instead of letting them hang, leaves nothing of them behind, and serves claims again once
 * it has room. The server here starts one sandbox at a time and lets no claim wait.
 */
class ClaimAdmissionTest {

    private static Path dataDir;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-claim-admission");
        server = TestServer.withSandboxes(dataDir, s -> s.withStarts(1, Duration.ZERO));
        // Without a pool every claim starts its own sandbox: nothing refills behind the test's back.
        ok(server.json("POST", "/api/v1/templates", "{\"template_id\":\"burst\",\"spec\":{\"mainContainer\":"
                + "{\"image\":\"default\",\"resources\":{\"cpu\":\"500m\",\"memory\":\"2Gi\"}}}}"), 201);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
        new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
    }

    @Test
    void claimsBeyondWhatTheHostCanStartGet503WithRetryAfterAndLeaveNothingBehind() throws Exception {
        List<HttpResponse<String>> replies = new ArrayList<>();
        try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            var pending = new ArrayList<Future<HttpResponse<String>>>();
            for (int i = 0; i < 4; i++) {
                pending.add(clients.submit(() -> server.json("POST", "/api/v1/sandboxes", "{\"template\":\"burst\"}")));
            }
            for (var p : pending) {
                replies.add(p.get());
            }
        }
        List<String> claimed = new ArrayList<>();
        int turnedAway = 0;
        for (HttpResponse<String> r : replies) {
            if (r.statusCode() == 201) {
                claimed.add(Json.mapper().readTree(r.body()).at("/data/sandbox_id").asText());
                continue;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            JsonNode error = Json.mapper().readTree(r.body());
            assertThat(error.get("success").asBoolean()).isFalse();
            assertThat(error.at("/error/code").asText()).isEqualTo("unavailable");
            assertThat(error.at("/error/message").asText())
                    .startsWith("the host is starting as many sandboxes as it can (1 at once")
                    .contains("try again in");
            assertThat(r.headers().firstValue("Retry-After")).hasValueSatisfying(
                    v -> assertThat(Integer.parseInt(v)).isPositive());
            turnedAway++;
        }
        assertThat(claimed).isNotEmpty();
        assertThat(turnedAway).isPositive();
        // Operators see it: how many were turned away, and that nothing waits now.
        String metrics = server.get("/metrics").body();
        java.util.regex.Matcher counted = java.util.regex.Pattern
                .compile("(?m)^sandbox_starts_turned_away_total(?:\\{[^}]*\\})? ([0-9.E]+)$").matcher(metrics);
        assertThat(counted.find()).isTrue();
        assertThat(Double.parseDouble(counted.group(1))).isGreaterThanOrEqualTo(turnedAway);
        assertThat(metrics).containsPattern("(?m)^sandbox_starts_waiting(\\{[^}]*\\})? 0\\.0$");

        // Only the claims that got their sandbox exist, and they run.
        JsonNode list = ok(server.authed("/api/v1/sandboxes?limit=200"), 200);
        List<String> listed = new ArrayList<>();
        list.get("sandboxes").forEach(s -> listed.add(s.get("id").asText()));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(claimed);
        for (String id : claimed) {
            assertThat(ok(server.authed("/api/v1/sandboxes/" + id), 200).get("status").asText()).isEqualTo("running");
        }

        // Once the starts are done the host takes claims again (a client honouring Retry-After gets its sandbox).
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> again = server.json("POST", "/api/v1/sandboxes", "{\"template\":\"burst\"}");
        while (again.statusCode() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(1000L * Integer.parseInt(again.headers().firstValue("Retry-After").orElseThrow()));
            again = server.json("POST", "/api/v1/sandboxes", "{\"template\":\"burst\"}");
        }
        claimed.add(ok(again, 201).get("sandbox_id").asText());
        for (String id : claimed) {
            ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
        }
    }
}
