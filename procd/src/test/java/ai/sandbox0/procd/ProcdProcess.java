package ai.sandbox0.procd;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** procd as a real child process on the host, driven over HTTP. */
final class ProcdProcess implements AutoCloseable {

    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    final String token = "t-" + UUID.randomUUID();
    final Process process;
    final int port;
    final Path workspace;
    final Path log;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ProcdProcess(Map<String, String> env, List<String> jvm, List<String> args) throws Exception {
        workspace = Files.createTempDirectory("procd-ws");
        log = Files.createTempFile("procd", ".log");
        ProcessBuilder pb = command(workspace, jvm, args).redirectError(log.toFile());
        pb.environment().put("SANDBOX0_PROCD_TOKEN", token);
        pb.environment().putAll(env);
        process = pb.start();
        var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        do {
            line = out.readLine(); // the JVM may print warnings to stdout first
        } while (line != null && !line.startsWith("procd ready port="));
        assertThat(line).as("procd ready line (log: %s)", log).startsWith("procd ready port=");
        port = Integer.parseInt(line.substring("procd ready port=".length()));
    }

    /** procd on an ephemeral port of 127.0.0.1 unless {@code args} name another ({@code --port N}: the last wins). */
    static ProcessBuilder command(Path workspace, List<String> jvm, List<String> args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xss256k",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "ai.sandbox0.procd.Procd",
                "--port", "0", "--bind", "127.0.0.1", "--workspace", workspace.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PATH", PATH);
        return pb;
    }

    static ProcdProcess start(String... args) throws Exception {
        return new ProcdProcess(Map.of(), List.of("-Xmx64m"), List.of(args));
    }

    static ProcdProcess start(Map<String, String> env, List<String> jvm, String... args) throws Exception {
        return new ProcdProcess(env, jvm, List.of(args));
    }

    record Resp(int status, String body, HttpHeaders headers) {
        JsonNode json() {
            try {
                return Json.mapper().readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        JsonNode data() {
            return json().get("data");
        }

        String code() {
            return json().path("error").path("code").asText();
        }

        String message() {
            return json().path("error").path("message").asText();
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token);
    }

    Resp send(HttpRequest req) {
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return new Resp(r.statusCode(), r.body(), r.headers());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("request failed: " + req.uri(), e);
        }
    }

    Resp get(String path) {
        return send(request(path).GET().build());
    }

    Resp delete(String path) {
        return send(request(path).DELETE().build());
    }

    Resp post(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    Resp put(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    Resp postBytes(String path, byte[] body) {
        return send(request(path).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** An NDJSON stream: the response (headers) and its lines, read lazily. */
    record Lines(HttpResponse<Stream<String>> response) implements AutoCloseable {
        java.util.Iterator<String> iterator() {
            return response.body().iterator();
        }

        /** The next non-blank line as JSON. */
        JsonNode next(java.util.Iterator<String> it) throws IOException {
            while (it.hasNext()) {
                String line = it.next();
                if (!line.isBlank()) {
                    return Json.mapper().readTree(line);
                }
            }
            return null;
        }

        @Override
        public void close() {
            response.body().close();
        }
    }

    Lines stream(String path) throws IOException, InterruptedException {
        return new Lines(http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofLines()));
    }

    /** All frames of a stream that ends by itself (the process finished). */
    List<JsonNode> frames(String path) throws Exception {
        try (Lines lines = stream(path)) {
            assertThat(lines.response().statusCode()).isEqualTo(200);
            List<JsonNode> out = new ArrayList<>();
            var it = lines.iterator();
            for (JsonNode f; (f = lines.next(it)) != null; ) {
                out.add(f);
            }
            return out;
        }
    }

    String createCmd(String extra, String... argv) {
        String command = Json.writeString(List.of(argv));
        Resp r = post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":" + command + "}"
                + (extra.isEmpty() ? "" : "," + extra) + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.data().get("id").asText();
    }

    String createRepl(String alias) {
        Resp r = post("/api/v1/contexts", "{\"type\":\"repl\",\"repl\":{\"alias\":\"" + alias + "\"}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.data().get("id").asText();
    }

    Resp exec(String id, String data) {
        return post("/api/v1/contexts/" + id + "/exec", Json.writeString(Map.of("data", data)));
    }

    long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS");
    }

    static void eventually(Duration limit, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        delete(workspace, log);
    }

    /** Removes what a test made under /tmp (never crossing into another file system). */
    static void delete(Path... paths) throws Exception {
        var cmd = new ArrayList<>(List.of("rm", "-rf", "--one-file-system"));
        for (Path p : paths) {
            cmd.add(p.toString());
        }
        new ProcessBuilder(cmd).start().waitFor();
    }
}
