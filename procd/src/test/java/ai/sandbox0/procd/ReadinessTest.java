package ai.sandbox0.procd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

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

    private static void awaitReady(ProcdProcess procd) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        int status;
        while ((status = procd.get("/readyz").status()) != 200 && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        assertThat(status).as("/readyz").isEqualTo(200);
    }
}
