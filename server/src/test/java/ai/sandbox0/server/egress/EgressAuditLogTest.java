package ai.sandbox0.server.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sandbox's egress audit on disk: newest first, bounded, kept across a restart, gone with the sandbox. */
class EgressAuditLogTest {

    private static final String SANDBOX = "sb-0123456789abcdef";
    private static final long CAP = 64 * 1024;

    @TempDir
    Path dir;

    private static EgressAuditEntry entry(int n, boolean allowed) {
        return new EgressAuditEntry(Instant.parse("2026-05-01T10:00:00Z").plusSeconds(n).toString(), "connection",
                "198.18.0.1", 443, "host-" + n + ".example", "tls", allowed ? "allowed" : "denied",
                allowed ? "mode allow-all" : "deny-ads", n, 2L * n, 10, null, null, null, null, null);
    }

    private static List<String> hosts(List<EgressAuditEntry> entries) {
        return entries.stream().map(EgressAuditEntry::host).toList();
    }

    @Test
    void entriesComeBackNewestFirstUpToTheLimitAndByDecision() throws IOException {
        var log = new EgressAuditLog(dir, CAP);
        log.append(SANDBOX, List.of(entry(1, true), entry(2, false)));
        log.append(SANDBOX, List.of(entry(3, true)));

        assertThat(hosts(log.newest(SANDBOX, 10, e -> true)))
                .containsExactly("host-3.example", "host-2.example", "host-1.example");
        assertThat(hosts(log.newest(SANDBOX, 2, e -> true))).containsExactly("host-3.example", "host-2.example");
        assertThat(hosts(log.newest(SANDBOX, 10, e -> e.decision().equals("denied")))).containsExactly("host-2.example");
        assertThat(log.newest(SANDBOX, 10, e -> true).getFirst()).isEqualTo(entry(3, true));
        assertThat(log.newest("sb-other", 10, e -> true)).isEmpty();
    }

    @Test
    void aBusySandboxKeepsItsNewestRecordsWithinTheCap() throws IOException {
        var log = new EgressAuditLog(dir, CAP);
        int n = 3000; // ~200 bytes each: several times the cap
        for (int i = 1; i <= n; i++) {
            log.append(SANDBOX, List.of(entry(i, true)));
        }
        long onDisk;
        try (Stream<Path> files = Files.list(dir.resolve(SANDBOX))) {
            onDisk = files.mapToLong(p -> p.toFile().length()).sum();
        }
        assertThat(onDisk).isLessThanOrEqualTo(CAP);

        List<EgressAuditEntry> kept = log.newest(SANDBOX, 1000, e -> true);
        assertThat(kept.getFirst().host()).isEqualTo("host-" + n + ".example");
        assertThat(kept.size()).as("at least half the cap of records is kept").isGreaterThan((int) (CAP / 2 / 250));
        var expected = new ArrayList<String>();
        for (int i = n; i > n - kept.size(); i--) {
            expected.add("host-" + i + ".example");
        }
        assertThat(hosts(kept)).as("the newest, in order, none missing").isEqualTo(expected);
        assertThat(hosts(log.newest(SANDBOX, 1000, e -> true))).doesNotContain("host-1.example");
    }

    @Test
    void theAuditSurvivesARestartAndALineCutShortByACrash() throws IOException {
        var log = new EgressAuditLog(dir, CAP);
        log.append(SANDBOX, List.of(entry(1, true)));
        // A server killed in the middle of a write leaves half a line.
        Files.writeString(dir.resolve(SANDBOX).resolve("audit.jsonl"), "{\"time\":\"2026-05-", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);

        var restarted = new EgressAuditLog(dir, CAP);
        assertThat(hosts(restarted.newest(SANDBOX, 10, e -> true))).containsExactly("host-1.example");
        restarted.append(SANDBOX, List.of(entry(2, false)));
        assertThat(hosts(restarted.newest(SANDBOX, 10, e -> true))).containsExactly("host-2.example", "host-1.example");
    }

    @Test
    void aDeletedSandboxsAuditIsGoneAndLateRecordsDoNotBringItBack() throws IOException {
        var log = new EgressAuditLog(dir, CAP);
        log.append(SANDBOX, List.of(entry(1, true)));
        log.append("sb-kept", List.of(entry(2, true)));

        log.remove(SANDBOX);
        assertThat(dir.resolve(SANDBOX)).doesNotExist();
        log.append(SANDBOX, List.of(entry(3, true)));
        assertThat(dir.resolve(SANDBOX)).doesNotExist();
        assertThat(log.newest(SANDBOX, 10, e -> true)).isEmpty();
        assertThat(hosts(log.newest("sb-kept", 10, e -> true))).containsExactly("host-2.example");
    }

    @Test
    void sandboxesDeletedWhileTheServerWasDownLoseTheirAuditAtStart() throws IOException {
        var log = new EgressAuditLog(dir, CAP);
        log.append("sb-gone", List.of(entry(1, true)));
        log.append("sb-here", List.of(entry(2, true)));

        assertThat(new EgressAuditLog(dir, CAP).retainOnly(id -> id.equals("sb-here"))).isEqualTo(1);
        assertThat(dir.resolve("sb-gone")).doesNotExist();
        assertThat(hosts(log.newest("sb-here", 10, e -> true))).containsExactly("host-2.example");
    }

    @Test
    void anIdThatIsNotASandboxIdNamesNoFile() throws IOException {
        var log = new EgressAuditLog(dir.resolve("audit"), CAP);
        log.append("../escape", List.of(entry(1, true)));
        assertThat(dir.resolve("escape")).doesNotExist();
        assertThat(log.newest("../escape", 10, e -> true)).isEmpty();
    }
}
