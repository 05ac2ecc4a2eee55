package ai.sandbox0.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged {@code bin/s0 server} as a child process, as an operator runs it: started, waited for
 * (its last banner line), driven over HTTP with the data dir's admin key, stopped with SIGTERM or
 * killed with SIGKILL.
 */
final class S0ServerProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("^Sandbox0 \\S+ listening on (http://\\S+)$");
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final Process process;
    private final URI base;
    private final List<String> output;
    private final Thread reader;
    private final Path dataDir;

    private S0ServerProcess(Process process, URI base, List<String> output, Thread reader, Path dataDir) {
        this.process = process;
        this.base = base;
        this.output = output;
        this.reader = reader;
        this.dataDir = dataDir;
    }

    static Path binary() {
        Path s0 = Path.of(System.getProperty("s0.dist"), "bin", "s0");
        assertThat(s0).as("the distribution must be built before integration tests").isExecutable();
        return s0;
    }

    /** Starts {@code s0 server} with {@code args} (data dir and listen address included by the caller). */
    static S0ServerProcess start(Path dataDir, List<String> args, java.util.Map<String, String> env) throws Exception {
        var command = new ArrayList<>(List.of(binary().toString(), "server"));
        command.addAll(args);
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        // Public services on a free port: the default 7601 may be another server's on this host.
        builder.environment().put("SANDBOX0_EXPOSURE_LISTEN", "127.0.0.1:0");
        builder.environment().putAll(env);
        Process process = builder.start();
        var lines = new LinkedBlockingQueue<String>();
        var output = Collections.synchronizedList(new ArrayList<String>());
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // process gone
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return new S0ServerProcess(process, URI.create(m.group(1)), output, reader, dataDir);
                }
            }
            if (!process.isAlive() && lines.isEmpty()) {
                reader.join(Duration.ofSeconds(2));
                throw new AssertionError("s0 server exited with " + process.exitValue() + " before listening:\n"
                        + String.join("\n", output));
            }
        }
        process.destroyForcibly();
        throw new AssertionError("s0 server did not start listening within 180 s:\n" + String.join("\n", output));
    }

    URI base() {
        return base;
    }

    String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    long pid() {
        return process.pid();
    }

    String adminKey() throws IOException {
        return Files.readString(dataDir.resolve("admin-api-key")).strip();
    }

    HttpResponse<String> send(String method, String path, String body) throws Exception {
        var request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + adminKey())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The {@code data} of a successful call; fails with the body otherwise. */
    JsonNode data(String method, String path, String body, int status) throws Exception {
        HttpResponse<String> response = send(method, path, body);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(status);
        return Json.mapper().readTree(response.body()).get("data");
    }

    /** SIGTERM, then the time until the process exited. */
    long terminate() throws Exception {
        long started = System.nanoTime();
        process.toHandle().destroy(); // Process.destroy() would also close our end of its output
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("s0 server ignored SIGTERM for 30 s");
        }
        reader.join(Duration.ofSeconds(5));
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    /** SIGKILL: no shutdown hook runs, whatever was in flight stays half done. */
    void kill() throws Exception {
        process.toHandle().destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(Duration.ofSeconds(5));
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            terminate();
        }
    }
}
