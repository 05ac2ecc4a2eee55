package ai.sandbox0.procd;

import static ai.sandbox0.procd.ProcdProcess.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** ttl_sec and idle_timeout_sec (§5.1): the process is killed, the context stays listed with its exit. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReapingTest {

    ProcdProcess procd;

    @BeforeAll
    void start() throws Exception {
        procd = ProcdProcess.start();
    }

    @AfterAll
    void stop() throws Exception {
        procd.close();
    }

    private boolean finished(String id) {
        return !procd.get("/api/v1/contexts/" + id).data().get("running").asBoolean();
    }

    @Test
    void ttlKillsTheProcess() throws Exception {
        String id = procd.createCmd("\"ttl_sec\":1", "sleep", "300");
        eventually(Duration.ofSeconds(15), () -> finished(id), "ttl to kill the process");
        var c = procd.get("/api/v1/contexts/" + id).data();
        assertThat(c.get("state").asText()).isEqualTo("killed");
        assertThat(c.get("exit_code").asInt()).isEqualTo(-1);
    }

    @Test
    void idleTimeoutKillsAQuietProcessButNotABusyOne() throws Exception {
        String quiet = procd.createCmd("\"idle_timeout_sec\":1", "sleep", "300");
        String busy = procd.createCmd("\"idle_timeout_sec\":2", "sh", "-c", "while true; do echo tick; sleep 0.2; done");
        eventually(Duration.ofSeconds(15), () -> finished(quiet), "idle timeout to kill the quiet process");
        assertThat(finished(busy)).isFalse();
        procd.delete("/api/v1/contexts/" + busy);
    }

    @Test
    void anIdleProcdWithNothingToExpireStaysAsleep() throws Exception {
        try (var idle = ProcdProcess.start()) {
            idle.createRepl("python");
            idle.createCmd("", "sleep", "300");
            Thread.sleep(1500); // the requests' and procd's warm-up's threads go quiet
            long before = carrierWakeUps(idle);
            Thread.sleep(4000);
            assertThat(carrierWakeUps(idle) - before)
                    .as("wake-ups of procd's virtual-thread carriers in 4 s with no ttl, idle timeout or finished context")
                    .isLessThanOrEqualTo(1);
        }
    }

    @Test
    void aFinishedContextIsStillForgottenAfterItsRetention() throws Exception {
        try (var brief = ProcdProcess.start("--finished-retention-sec", "1")) {
            String id = brief.createCmd("", "true");
            eventually(Duration.ofSeconds(15), () -> brief.get("/api/v1/contexts/" + id).status() == 404,
                    "the finished context to be forgotten");
        }
    }

    /** Context switches of procd's ForkJoinPool threads, which run its virtual threads (the reaper among them). */
    private static long carrierWakeUps(ProcdProcess p) throws IOException {
        long n = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(p.process.pid()), "task"))) {
            for (var task : tasks.toList()) {
                if (Files.readString(task.resolve("comm")).startsWith("ForkJoinPool")) {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.contains("ctxt_switches:")) {
                            n += Long.parseLong(line.replaceAll("\\D+", ""));
                        }
                    }
                }
            }
        }
        return n;
    }

    @Test
    void deploymentDefaultsApplyWhenZero() throws Exception {
        try (var strict = ProcdProcess.start("--context-ttl-sec", "1")) {
            String id = strict.createCmd("\"ttl_sec\":0", "sleep", "300");
            eventually(Duration.ofSeconds(15),
                    () -> !strict.get("/api/v1/contexts/" + id).data().get("running").asBoolean(), "default ttl");
        }
    }
}
