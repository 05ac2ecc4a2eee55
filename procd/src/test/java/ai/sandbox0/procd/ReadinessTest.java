package ai.sandbox0.procd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /healthz} turns 200 when procd serves; {@code /readyz} once its request path has run once,
 * by its own warm-up or by a real first call. Either way nothing of the warm-up stays listed.
 */
class ReadinessTest {

    private static final String ECHO = "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"echo\",\"hi\"]},\"wait_until_done\":true}";

    @Test
    void aProcdNobodyCallsWarmsItselfUp() throws Exception {
        try (var procd = ProcdProcess.start()) {
            assertThat(procd.get("/healthz").status()).isEqualTo(200);
            awaitReady(procd);
            assertThat(procd.get("/api/v1/contexts").data().get("contexts")).isEmpty();
        }
    }

    @Test
    void aFirstCallRightAfterStartIsAnsweredAndMakesItReady() throws Exception {
        try (var procd = ProcdProcess.start()) {
            var created = procd.post("/api/v1/contexts", ECHO);
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.data().get("output_raw").asText()).isEqualTo("hi\n");
            awaitReady(procd);
            var contexts = procd.get("/api/v1/contexts").data().get("contexts");
            assertThat(contexts).hasSize(1);
            assertThat(contexts.get(0).get("id").asText()).isEqualTo(created.data().get("id").asText());
        }
    }

    /**
     * The node takes procd as ready once its port accepts a connection; by then procd's ready line must
     * already be in its output, so whoever saw it ready finds the line in the log.
     */
    @Test
    void theReadyLineIsWrittenBeforeThePortAcceptsConnections(@TempDir Path workspace) throws Exception {
        int port;
        try (var free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        ProcessBuilder pb = ProcdProcess.command(workspace, List.of("-Xmx64m"), List.of("--port", Integer.toString(port)))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("SANDBOX0_PROCD_TOKEN", "t");
        Process procd = pb.start();
        try {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!accepts(port)) {
                assertThat(procd.isAlive()).as("procd runs").isTrue();
                assertThat(Instant.now()).as("procd's port accepts within 30 s").isBefore(deadline);
                Thread.sleep(1);
            }
            // Read nothing more than is there already: the line must have been written before the port opened.
            byte[] written = procd.getInputStream().readNBytes(procd.getInputStream().available());
            assertThat(new String(written, StandardCharsets.UTF_8)).contains("procd ready port=" + port + "\n");
        } finally {
            procd.destroyForcibly().waitFor();
        }
    }

    private static boolean accepts(int port) {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitReady(ProcdProcess procd) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        int status;
        while ((status = procd.get("/readyz").status()) != 200 && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        assertThat(status).as("/readyz").isEqualTo(200);
    }
}
