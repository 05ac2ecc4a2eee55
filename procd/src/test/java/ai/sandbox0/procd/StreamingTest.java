package ai.sandbox0.procd;

import static ai.sandbox0.procd.ProcdProcess.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** §5.5 as NDJSON: replay, live frames, request dones, the final done, and the output bound. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamingTest {

    ProcdProcess procd;

    @BeforeAll
    void start() throws Exception {
        Interpreters.require("python3");
        procd = ProcdProcess.start();
    }

    @AfterAll
    void stop() throws Exception {
        procd.close();
    }

    private static String text(List<JsonNode> frames, String source) {
        StringBuilder sb = new StringBuilder();
        frames.stream().filter(f -> f.get("type").asText().equals("output") && f.get("source").asText().equals(source))
                .forEach(f -> sb.append(f.get("data").asText()));
        return sb.toString();
    }

    @Test
    void lateAttacherGetsStdoutStderrAndTheFinalDone() throws Exception {
        String id = procd.createCmd("", "sh", "-c", "echo hello; echo warn >&2; exit 3");
        eventually(Duration.ofSeconds(10), () -> !procd.get("/api/v1/contexts/" + id).data().get("running").asBoolean(),
                "exit");
        try (var lines = procd.stream("/api/v1/contexts/" + id + "/stream")) {
            assertThat(lines.response().headers().firstValue("Sandbox0-Close-Reason")).hasValue("context finished");
            assertThat(lines.response().headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        }
        List<JsonNode> frames = procd.frames("/api/v1/contexts/" + id + "/stream");
        assertThat(text(frames, "stdout")).isEqualTo("hello\n");
        assertThat(text(frames, "stderr")).isEqualTo("warn\n");
        JsonNode last = frames.getLast();
        assertThat(last.toString()).isEqualTo("{\"type\":\"done\",\"exit_code\":3,\"state\":\"crashed\"}");
    }

    @Test
    void liveAttachersFollowUntilTheProcessEnds() throws Exception {
        String id = procd.createCmd("", "sh", "-c", "echo one; sleep 0.5; echo two >&2; sleep 0.3; echo three");
        var first = CompletableFuture.supplyAsync(() -> frames(id));
        var second = CompletableFuture.supplyAsync(() -> frames(id));
        for (var f : List.of(first, second)) {
            List<JsonNode> frames = f.get(20, TimeUnit.SECONDS);
            assertThat(text(frames, "stdout")).isEqualTo("one\nthree\n");
            assertThat(text(frames, "stderr")).isEqualTo("two\n");
            assertThat(frames.getLast().get("exit_code").asInt()).isZero();
            assertThat(frames.getLast().get("state").asText()).isEqualTo("stopped");
        }
    }

    private List<JsonNode> frames(String id) {
        try {
            return procd.frames("/api/v1/contexts/" + id + "/stream");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void replInputWithRequestIdEndsWithItsDone() throws Exception {
        String id = procd.createRepl("python");
        procd.exec(id, "print('before')");
        try (var lines = procd.stream("/api/v1/contexts/" + id + "/stream")) {
            assertThat(lines.response().headers().firstValue("Sandbox0-Close-Reason")).hasValue("context output closed");
            var it = lines.iterator();
            // The SDK's camelCase spelling and the spec's snake_case one both carry the id.
            procd.post("/api/v1/contexts/" + id + "/stream", "{\"type\":\"input\",\"data\":\"print(6*7)\\n\",\"requestId\":\"r1\"}");
            StringBuilder out = new StringBuilder();
            JsonNode f;
            while (!(f = lines.next(it)).get("type").asText().equals("done")) {
                assertThat(f.get("source").asText()).isEqualTo("pty");
                out.append(f.get("data").asText());
            }
            assertThat(out).contains("before").contains("42");
            assertThat(out.toString()).doesNotContain("_S0_> ");
            assertThat(f.toString()).isEqualTo("{\"type\":\"done\",\"request_id\":\"r1\"}");
            procd.post("/api/v1/contexts/" + id + "/stream", "{\"type\":\"input\",\"data\":\"print(7*8)\\n\",\"request_id\":\"r2\"}");
            out.setLength(0);
            while (!(f = lines.next(it)).get("type").asText().equals("done")) {
                out.append(f.get("data").asText());
            }
            assertThat(out).contains("56");
            assertThat(f.get("request_id").asText()).isEqualTo("r2");
            // Non-JSON text and other JSON types are raw input; resize and bad signals are applied or ignored.
            assertThat(procd.post("/api/v1/contexts/" + id + "/stream", "{\"type\":\"resize\",\"rows\":0,\"cols\":0}").status())
                    .isEqualTo(200);
            assertThat(procd.post("/api/v1/contexts/" + id + "/stream", "{\"type\":\"signal\",\"signal\":\"NOPE\"}").status())
                    .isEqualTo(200);
            procd.post("/api/v1/contexts/" + id + "/stream", "print('raw'+'text')\n");
            out.setLength(0);
            while (!out.toString().contains("rawtext")) {
                f = lines.next(it);
                out.append(f.path("data").asText());
            }
            procd.post("/api/v1/contexts/" + id + "/stream", "{\"type\":\"input\",\"data\":\"exit()\\n\"}");
            while (!(f = lines.next(it)).has("exit_code")) {
                // drain until the process done
            }
            assertThat(f.get("state").asText()).isEqualTo("stopped");
            assertThat(lines.next(it)).isNull();
        }
    }

    @Test
    void lateAttacherToAReplGetsTheReplay() throws Exception {
        String id = procd.createRepl("python");
        procd.exec(id, "print('replayed-' + 'line')");
        try (var lines = procd.stream("/api/v1/contexts/" + id + "/stream")) {
            var it = lines.iterator();
            StringBuilder out = new StringBuilder();
            while (!out.toString().contains("replayed-line\r\n")) {
                out.append(lines.next(it).get("data").asText());
            }
        }
    }

    @Test
    void unknownContextStreamIs404() {
        var r = procd.get("/api/v1/contexts/ctx-nonexist/stream");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.code()).isEqualTo("context_not_found");
    }

    @Test
    void yesForTenSecondsStaysWithinTheBound() throws Exception {
        try (var small = ProcdProcess.start(java.util.Map.of(), List.of("-Xmx32m"),
                "--output-max-bytes", "1048576", "--output-max-frames", "256")) {
            String warm = small.createCmd("\"wait_until_done\":true", "sh", "-c", "seq 1 1000");
            small.delete("/api/v1/contexts/" + warm);
            Thread.sleep(500);
            long before = small.rssKiB();
            String id = small.createCmd("", "yes", "procd-memory-bound-test");
            // One slow attacher reads a little now and then; it must not hold the producer back.
            var slow = small.stream("/api/v1/contexts/" + id + "/stream");
            var it = slow.iterator();
            long max = before;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<Long> samples = new ArrayList<>();
            while (System.nanoTime() < deadline) {
                slow.next(it);
                Thread.sleep(250);
                long rss = small.rssKiB();
                samples.add(rss);
                max = Math.max(max, rss);
                assertThat(small.get("/api/v1/contexts/" + id).data().get("running").asBoolean()).isTrue();
            }
            var stats = small.get("/api/v1/contexts/" + id + "/stats").data().get("usage");
            assertThat(stats.get("cpu_percent").asDouble()).as("yes is never blocked").isGreaterThan(5.0);
            slow.close();
            assertThat(small.delete("/api/v1/contexts/" + id).status()).isEqualTo(200);
            // Heap is capped at 32 MiB; an unbounded buffer would have died with OutOfMemoryError long before.
            assertThat(max - before).as("RSS growth in KiB, samples %s", samples).isLessThan(48 * 1024);
            assertThat(small.get("/healthz").status()).isEqualTo(200);
            assertThat(small.process.isAlive()).isTrue();
        }
    }
}
