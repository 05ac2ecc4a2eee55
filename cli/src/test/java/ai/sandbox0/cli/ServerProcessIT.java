package ai.sandbox0.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged {@code bin/s0 server}, as an operator runs it: start, use, SIGTERM, restart. */
class ServerProcessIT {

    private static final Pattern LISTENING = Pattern.compile("^Sandbox0 \\S+ listening on (http://\\S+)$");
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;

    /** A running {@code s0 server} and everything it printed. */
    record Running(Process process, URI base, List<String> output, Thread reader) {
    }

    private Running start(boolean viaEnvironment) throws Exception {
        Path s0 = Path.of(System.getProperty("s0.dist"), "bin", "s0");
        assertThat(s0).as("the distribution must be built before integration tests").isExecutable();
        var command = new ArrayList<>(List.of(s0.toString(), "server", "--listen", "127.0.0.1:0", "--no-install",
                "--sandbox-network", "10.93.0.0/24"));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (viaEnvironment) {
            builder.environment().put("SANDBOX0_DATA_DIR", dataDir.toString());
        } else {
            command.addAll(List.of("--data-dir", dataDir.toString()));
            builder.command(command);
        }
        Process process = builder.start();
        var lines = new LinkedBlockingQueue<String>();
        var output = java.util.Collections.synchronizedList(new ArrayList<String>());
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
        URI base = awaitListening(lines, process);
        return new Running(process, base, output, reader);
    }

    private static URI awaitListening(BlockingQueue<String> lines, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return URI.create(m.group(1));
                }
            }
            if (!process.isAlive() && lines.isEmpty()) {
                throw new AssertionError("s0 server exited with " + process.exitValue() + " before listening");
            }
        }
        process.destroyForcibly();
        throw new AssertionError("s0 server did not start listening within 60 s");
    }

    private static HttpResponse<String> get(URI base, String path, String key) throws Exception {
        var request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long stop(Running running) throws Exception {
        long started = System.nanoTime();
        running.process().toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
        boolean exited = running.process().waitFor(10, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (!exited) {
            running.process().destroyForcibly();
            throw new AssertionError("s0 server ignored SIGTERM for 10 s");
        }
        running.reader().join(Duration.ofSeconds(5));
        return millis;
    }

    @Test
    void operatorLifecycleStartUseTerminateRestart() throws Exception {
        Running first = start(false);
        String key = Files.readString(dataDir.resolve("admin-api-key")).strip();
        try {
            assertThat(String.join("\n", first.output())).contains("Admin API key").contains(key);
            assertThat(get(first.base(), "/api-keys/current", null).statusCode()).isEqualTo(401);
            HttpResponse<String> current = get(first.base(), "/api-keys/current", key);
            assertThat(current.statusCode()).isEqualTo(200);
            assertThat(current.body()).contains("\"scope\":\"team\"").contains("\"roles\":[\"admin\"]");
        } finally {
            long stopMillis = stop(first);
            assertThat(stopMillis).as("SIGTERM to exit").isLessThan(5_000);
        }
        assertThat(String.join("\n", first.output())).contains("stopped");

        Running second = start(true);
        try {
            assertThat(String.join("\n", second.output())).doesNotContain("Admin API key").doesNotContain(key);
            assertThat(get(second.base(), "/api-keys/current", key).statusCode()).isEqualTo(200);
            assertThat(Files.readString(dataDir.resolve("admin-api-key")).strip()).isEqualTo(key);
        } finally {
            assertThat(stop(second)).isLessThan(5_000);
        }
    }

    @Test
    void badSettingsFailFastWithAClearMessage() throws Exception {
        Path s0 = Path.of(System.getProperty("s0.dist"), "bin", "s0");
        Process process = new ProcessBuilder(s0.toString(), "server", "--data-dir", dataDir.toString(),
                "--listen", "127.0.0.1:notaport", "--no-install").redirectErrorStream(true).start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.exitValue()).isNotZero();
        assertThat(output).contains("s0: listen port must be a number").doesNotContain("Exception");
    }
}
