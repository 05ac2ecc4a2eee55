package ai.sandbox0.procd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** §6.1 as NDJSON plus relayed client frames. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WatchTest {

    ProcdProcess procd;
    @TempDir
    Path tmp;

    @BeforeAll
    void start() throws Exception {
        procd = ProcdProcess.start();
    }

    @AfterAll
    void stop() throws Exception {
        procd.close();
    }

    /** Next frame that is not an event for another path (events may repeat). */
    private static JsonNode until(ProcdProcess.Lines lines, Iterator<String> it, String type, String path) throws Exception {
        while (true) {
            JsonNode f = lines.next(it);
            assertThat(f).as("stream ended while waiting for %s %s", type, path).isNotNull();
            if (f.get("type").asText().equals(type) && (path == null || path.equals(f.path("path").asText()))) {
                return f;
            }
        }
    }

    @Test
    void recursiveWatchSeesAFileInASubdirectoryMadeAfterSubscribing() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("w"));
        try (var lines = procd.stream("/api/v1/files/watch?recursive=true&path=" + root)) {
            var it = lines.iterator();
            JsonNode subscribed = lines.next(it);
            assertThat(subscribed.get("type").asText()).isEqualTo("subscribed");
            assertThat(subscribed.get("path").asText()).isEqualTo(root.toString());
            String watchId = subscribed.get("watch_id").asText();
            assertThat(lines.response().headers().firstValue("Sandbox0-Watch-Stream")).isPresent();

            Path sub = root.resolve("later/deeper");
            Files.createDirectories(sub);
            Files.writeString(sub.resolve("f.txt"), "x");
            JsonNode created = until(lines, it, "event", sub.resolve("f.txt").toString());
            assertThat(created.get("watch_id").asText()).isEqualTo(watchId);
            assertThat(created.get("event").asText()).isIn("create", "write");

            Files.writeString(sub.resolve("f.txt"), "more");
            assertThat(until(lines, it, "event", sub.resolve("f.txt").toString()).get("event").asText()).isIn("write", "create");
            Files.setPosixFilePermissions(sub.resolve("f.txt"), PosixFilePermissions.fromString("rwx------"));
            JsonNode chmod;
            do {
                chmod = until(lines, it, "event", sub.resolve("f.txt").toString());
            } while (!chmod.get("event").asText().equals("chmod"));
            Files.move(sub.resolve("f.txt"), sub.resolve("g.txt"));
            JsonNode renamed;
            do {
                renamed = until(lines, it, "event", sub.resolve("f.txt").toString());
            } while (!renamed.get("event").asText().equals("rename"));
            assertThat(until(lines, it, "event", sub.resolve("g.txt").toString()).get("event").asText()).isEqualTo("create");
            Files.delete(sub.resolve("g.txt"));
            JsonNode removed;
            do {
                removed = until(lines, it, "event", sub.resolve("g.txt").toString());
            } while (!removed.get("event").asText().equals("remove"));
        }
    }

    @Test
    void severalSubscriptionsShareAStreamAndUnsubscribe() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("wa"));
        Path b = Files.createDirectories(tmp.resolve("wb"));
        try (var lines = procd.stream("/api/v1/files/watch")) {
            var it = lines.iterator();
            String stream = lines.response().headers().firstValue("Sandbox0-Watch-Stream").orElseThrow();
            String relay = "/api/v1/files/watch/" + stream;
            assertThat(procd.post(relay, "{\"action\":\"subscribe\",\"path\":\"" + a + "\"}").status()).isEqualTo(200);
            JsonNode sa = until(lines, it, "subscribed", null);
            procd.post(relay, "{\"action\":\"subscribe\",\"path\":\"" + b + "\",\"recursive\":true}");
            JsonNode sb = until(lines, it, "subscribed", null);
            assertThat(sa.get("watch_id").asText()).isNotEqualTo(sb.get("watch_id").asText());
            // Malformed frames and unknown ids are ignored without a reply.
            assertThat(procd.post(relay, "not json").status()).isEqualTo(200);
            procd.post(relay, "{\"action\":\"unsubscribe\",\"watch_id\":\"nope\"}");
            // A missing path is an error frame.
            procd.post(relay, "{\"action\":\"subscribe\",\"path\":\"/no/such/dir\"}");
            assertThat(until(lines, it, "error", null).get("error").asText()).contains("/no/such/dir");

            Files.writeString(b.resolve("in-b.txt"), "1");
            assertThat(until(lines, it, "event", b.resolve("in-b.txt").toString()).get("watch_id").asText())
                    .isEqualTo(sb.get("watch_id").asText());
            procd.post(relay, "{\"action\":\"unsubscribe\",\"watch_id\":\"" + sa.get("watch_id").asText() + "\"}");
            assertThat(until(lines, it, "unsubscribed", null).get("watch_id").asText()).isEqualTo(sa.get("watch_id").asText());
            Files.writeString(a.resolve("ignored.txt"), "1");
            Files.writeString(b.resolve("seen.txt"), "1");
            JsonNode next = until(lines, it, "event", null);
            while (!next.get("path").asText().endsWith("seen.txt")) {
                assertThat(next.get("path").asText()).doesNotContain("ignored.txt");
                next = until(lines, it, "event", null);
            }
        }
    }

    /**
     * Through the relay (the WebSocket's way), the client sees {@code subscribed} while its POST may still be in
     * flight; the SDK's watchFiles returns on that frame, so the watches must already exist by then.
     */
    @Test
    void aRelayedSubscribedFrameComesOnlyOnceTheWatchesExist() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("wr"));
        for (int i = 0; i < 2000; i++) { // enough directories that adding their watches takes a while
            Files.createDirectories(root.resolve("d" + i));
        }
        long before = inotifyWatches();
        try (var lines = procd.stream("/api/v1/files/watch")) {
            var it = lines.iterator();
            String relay = "/api/v1/files/watch/" + lines.response().headers().firstValue("Sandbox0-Watch-Stream").orElseThrow();
            Thread post = Thread.ofVirtual().start(() ->
                    procd.post(relay, "{\"action\":\"subscribe\",\"path\":\"" + root + "\",\"recursive\":true}"));
            assertThat(until(lines, it, "subscribed", null).get("path").asText()).isEqualTo(root.toString());
            assertThat(inotifyWatches()).isGreaterThanOrEqualTo(before + 2001);

            Files.writeString(root.resolve("d1999/right-after.txt"), "x");
            assertThat(until(lines, it, "event", root.resolve("d1999/right-after.txt").toString()).get("event").asText())
                    .isIn("create", "write");
            post.join();
            assertThat(procd.delete(relay).status()).isEqualTo(200);
        }
    }

    @Test
    void closingTheStreamRemovesItsWatches() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("wc"));
        Files.createDirectories(a.resolve("x/y"));
        long before = inotifyWatches();
        String stream;
        try (var lines = procd.stream("/api/v1/files/watch?recursive=true&path=" + a)) {
            stream = lines.response().headers().firstValue("Sandbox0-Watch-Stream").orElseThrow();
            assertThat(lines.next(lines.iterator()).get("type").asText()).isEqualTo("subscribed");
            assertThat(inotifyWatches()).isGreaterThanOrEqualTo(before + 3);
            assertThat(procd.delete("/api/v1/files/watch/" + stream).status()).isEqualTo(200);
        }
        assertThat(inotifyWatches()).isLessThanOrEqualTo(before);
        var gone = procd.post("/api/v1/files/watch/" + stream, "{\"action\":\"subscribe\",\"path\":\"/tmp\"}");
        assertThat(gone.status()).isEqualTo(404);
    }

    private long inotifyWatches() throws Exception {
        try (var fds = Files.list(Path.of("/proc/" + procd.process.pid() + "/fdinfo"))) {
            return fds.mapToLong(p -> {
                try {
                    return Files.readAllLines(p).stream().filter(l -> l.startsWith("inotify wd:")).count();
                } catch (Exception e) {
                    return 0;
                }
            }).sum();
        }
    }

    @Test
    void subscribeToMissingPathIsAnErrorFrame() throws Exception {
        try (var lines = procd.stream("/api/v1/files/watch?path=/definitely/missing")) {
            JsonNode f = lines.next(lines.iterator());
            assertThat(f.get("type").asText()).isEqualTo("error");
        }
    }
}
