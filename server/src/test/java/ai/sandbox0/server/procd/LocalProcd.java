package ai.sandbox0.server.procd;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** A real procd as a child process on the host (no container), for tests of what talks to it. */
public final class LocalProcd implements AutoCloseable {

    private final Process process;
    private final Path workspace;
    private final Path log;
    private final ProcdEndpoint endpoint;

    private LocalProcd(Process process, Path workspace, Path log, ProcdEndpoint endpoint) {
        this.process = process;
        this.workspace = workspace;
        this.log = log;
        this.endpoint = endpoint;
    }

    public static LocalProcd start() throws Exception {
        for (String binary : List.of("/usr/bin/python3", "/bin/bash")) {
            if (!Files.isExecutable(Path.of(binary))) {
                throw new IllegalStateException(binary + " is required by this test (apt-get install python3 bash)");
            }
        }
        Path workspace = Files.createTempDirectory("procd-ws");
        Path log = Files.createTempFile("procd", ".log");
        String token = "t-" + UUID.randomUUID();
        String java = ProcessHandle.current().info().command().orElse("java");
        var builder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "ai.sandbox0.procd.Procd",
                "--port", "0", "--bind", "127.0.0.1", "--workspace", workspace.toString())
                .redirectError(log.toFile());
        builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        builder.environment().put("SANDBOX0_PROCD_TOKEN", token);
        Process process = builder.start();
        var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        do {
            line = out.readLine();
        } while (line != null && !line.startsWith("procd ready port="));
        if (line == null) {
            throw new IllegalStateException("procd did not start: " + Files.readString(log));
        }
        int port = Integer.parseInt(line.substring("procd ready port=".length()));
        return new LocalProcd(process, workspace, log, new ProcdEndpoint(URI.create("http://127.0.0.1:" + port), token));
    }

    public ProcdEndpoint endpoint() {
        return endpoint;
    }

    public Path workspace() {
        return workspace;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        new ProcessBuilder("rm", "-rf", "--one-file-system", workspace.toString(), log.toString()).start().waitFor();
    }
}
