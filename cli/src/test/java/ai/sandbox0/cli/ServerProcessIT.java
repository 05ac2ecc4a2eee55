package ai.sandbox0.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged {@code bin/s0 server}, as an operator runs it: start, use, SIGTERM, restart. */
class ServerProcessIT {

    @TempDir
    Path dataDir;

    private static final List<String> COMMON = List.of("--listen", "127.0.0.1:0", "--no-install",
            "--sandbox-network", "10.93.0.0/24");

    @Test
    void operatorLifecycleStartUseTerminateRestart() throws Exception {
        String key;
        var args = new java.util.ArrayList<>(COMMON);
        args.addAll(List.of("--data-dir", dataDir.toString()));
        try (var first = S0ServerProcess.start(dataDir, args, Map.of())) {
            key = first.adminKey();
            assertThat(first.output()).contains("Admin API key").contains(key);
            assertThat(first.send("GET", "/api-keys/current", null).statusCode()).isEqualTo(200);
            var anonymous = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(first.base().resolve("/api-keys/current")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(first.send("GET", "/api-keys/current", null).body())
                    .contains("\"scope\":\"team\"").contains("\"roles\":[\"admin\"]");
            // The store's native library is extracted into the data dir, not /tmp (which may be noexec);
            // a copy left by a killed server is removed at the next start.
            try (var natives = Files.list(dataDir.resolve("native"))) {
                assertThat(natives.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith("libsqlitejdbc.so"));
            }
            assertThat(first.terminate()).as("SIGTERM to exit").isLessThan(5_000);
            assertThat(first.output()).contains("stopped");
        }
        Path stale = Files.writeString(dataDir.resolve("native/sqlite-0-stale-libsqlitejdbc.so"), "left by a killed server");

        // Second start: the data dir comes from the environment, and everything is reused.
        try (var second = S0ServerProcess.start(dataDir, COMMON, Map.of("SANDBOX0_DATA_DIR", dataDir.toString()))) {
            assertThat(second.output()).doesNotContain("Admin API key").doesNotContain(key);
            assertThat(second.adminKey()).isEqualTo(key);
            assertThat(stale).doesNotExist();
            assertThat(second.send("GET", "/api-keys/current", null).statusCode()).isEqualTo(200);
            assertThat(second.terminate()).isLessThan(5_000);
        }
    }

    @Test
    void badSettingsFailFastWithAClearMessage() throws Exception {
        Process process = new ProcessBuilder(S0ServerProcess.binary().toString(), "server", "--data-dir", dataDir.toString(),
                "--listen", "127.0.0.1:notaport", "--no-install").redirectErrorStream(true).start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.exitValue()).isNotZero();
        assertThat(output).contains("s0: listen port must be a number").doesNotContain("Exception");
        assertThat(Files.exists(dataDir.resolve("admin-api-key"))).isFalse();
    }
}
