package ai.sandbox0.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The tests in {@code e2e/test/} — written with the official npm SDK {@code sandbox0@0.9.5}, unmodified, on node's
 * built-in test runner — against the packaged {@code bin/s0 server} with real sandboxes. Node, npm and root are
 * prerequisites: without them this test fails and says what is missing, it never skips.
 */
class SdkEndToEndIT {

    private static final Duration NODE_LIMIT = Duration.ofMinutes(10);

    private final Path e2e = Path.of(System.getProperty("s0.e2e", "../e2e")).toAbsolutePath().normalize();

    @Test
    void theOfficialSdkDrivesTheServer() throws Exception {
        requireRoot();
        String nodeVersion = requireTool("node", "--version");
        requireTool("npm", "--version");
        installSdk();

        Path dataDir = Files.createTempDirectory("s0-sdk-e2e");
        try (S0ServerProcess server = S0ServerProcess.start(dataDir, List.of("--listen", "127.0.0.1:0", "--no-install",
                "--data-dir", dataDir.toString(), "--sandbox-network", "10.94.0.0/24"), Map.of())) {
            String baseUrl = server.base().toString().replaceAll("/$", ""); // the SDK appends /api/v1 as is
            System.out.println("SDK end-to-end tests (node " + nodeVersion + ") against " + baseUrl);
            runNodeTests(baseUrl, server.adminKey(), server);
            server.terminate();
        } finally {
            deleteQuietly(dataDir);
        }
    }

    private static void requireRoot() throws IOException {
        String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:")).map(l -> l.split("\\s+")[2]).findFirst().orElse("?");
        if (!uid.equals("0")) {
            throw new AssertionError("the SDK end-to-end tests run real sandboxes and need root; effective uid is " + uid);
        }
    }

    /** Runs {@code tool args}, returning its first output line; fails with the install hint when it is missing. */
    private static String requireTool(String tool, String... args) throws InterruptedException {
        var command = new ArrayList<>(List.of(tool));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(tool + " " + String.join(" ", args) + " failed: " + out);
            }
            return out.lines().findFirst().orElse("");
        } catch (IOException e) {
            throw new AssertionError("the SDK end-to-end tests need " + tool + " on the PATH (Debian: apt-get install "
                    + "nodejs npm; .ci/run installs them): " + e.getMessage(), e);
        }
    }

    /**
     * {@code npm ci} from the committed lock file when node_modules is missing or older than it. Concurrent
     * builds of this checkout share e2e/node_modules, so one machine-wide lock serializes the install.
     */
    private void installSdk() throws Exception {
        Path lock = e2e.resolve("package-lock.json");
        assertThat(lock).as("e2e/package-lock.json is committed").isRegularFile();
        Path installed = e2e.resolve("node_modules/.package-lock.json"); // npm writes it last
        Path guard = Path.of(System.getProperty("java.io.tmpdir"), "sandbox0-sdk-e2e-npm.lock");
        try (var channel = FileChannel.open(guard, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.lock(); // released when the channel closes
            if (Files.isRegularFile(installed) && !olderThan(installed, lock)
                    && !olderThan(installed, e2e.resolve("package.json"))) {
                return;
            }
            System.out.println("npm ci in " + e2e);
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
                    .directory(e2e.toFile()).redirectErrorStream(true).start();
            var output = Collections.synchronizedList(new ArrayList<String>());
            Thread reader = pump(npm, "[npm] ", output::add);
            if (!npm.waitFor(5, TimeUnit.MINUTES)) {
                npm.destroyForcibly();
                throw new AssertionError("npm ci did not finish within 5 minutes:\n" + String.join("\n", output));
            }
            reader.join(Duration.ofSeconds(5));
            if (npm.exitValue() != 0) {
                throw new AssertionError("npm ci failed with " + npm.exitValue() + ":\n" + String.join("\n", output));
            }
        }
    }

    private static boolean olderThan(Path a, Path b) throws IOException {
        FileTime ta = Files.getLastModifiedTime(a);
        return Files.exists(b) && ta.compareTo(Files.getLastModifiedTime(b)) < 0;
    }

    private void runNodeTests(String baseUrl, String token, S0ServerProcess server) throws Exception {
        List<String> files;
        try (Stream<Path> tests = Files.list(e2e.resolve("test"))) {
            files = tests.map(p -> e2e.relativize(p).toString()).filter(n -> n.endsWith(".test.mjs")).sorted().toList();
        }
        assertThat(files).as("test files in %s/test", e2e).isNotEmpty();
        var command = new ArrayList<>(List.of("node", "--test", "--test-reporter=spec"));
        command.addAll(files);
        var builder = new ProcessBuilder(command).directory(e2e.toFile()).redirectErrorStream(true);
        builder.environment().put("SANDBOX0_BASE_URL", baseUrl);
        builder.environment().put("SANDBOX0_TOKEN", token);
        builder.environment().put("NO_COLOR", "1");
        Process node = builder.start();
        var output = Collections.synchronizedList(new ArrayList<String>());
        Thread reader = pump(node, "", output::add);
        if (!node.waitFor(NODE_LIMIT.toMinutes(), TimeUnit.MINUTES)) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
            reader.join(Duration.ofSeconds(5));
            throw new AssertionError("node --test did not finish within " + NODE_LIMIT.toMinutes() + " minutes:\n"
                    + String.join("\n", output) + serverTail(server));
        }
        reader.join(Duration.ofSeconds(5));
        if (node.exitValue() != 0) {
            throw new AssertionError("the SDK end-to-end tests failed (node exited with " + node.exitValue() + "):\n"
                    + String.join("\n", output) + serverTail(server));
        }
    }

    private static String serverTail(S0ServerProcess server) {
        List<String> lines = server.output().lines().toList();
        return "\n--- last lines of s0 server ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** Copies a process's output into this test's report, line by line, and hands each line on. */
    private static Thread pump(Process process, String prefix, java.util.function.Consumer<String> sink) {
        return Thread.ofVirtual().start(() -> {
            try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    System.out.println(prefix + line);
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // process gone
            }
        });
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.out.println("could not remove " + dir + ": " + e.getMessage());
        }
    }
}
