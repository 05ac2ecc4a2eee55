package ai.sandbox0.server.egress;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.server.egress.TrafficStore.Totals;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.store.TestDatabases;
import ai.sandbox0.server.tenancy.QuotaStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Egress and ingress bytes per team on SQLite and PostgreSQL: counted, written, kept over a restart, enforced. */
@org.junit.jupiter.params.ParameterizedClass
@org.junit.jupiter.params.provider.EnumSource(TestDatabases.Kind.class)
class TeamTrafficTest {

    @org.junit.jupiter.params.Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dir;

    private Database database;
    private QuotaStore quotas;
    private TrafficStore store;
    private RunOwners owners;
    // A long interval: the tests write with flush(), as the writer thread would.
    private final Duration interval = Duration.ofHours(1);

    @BeforeEach
    void open() {
        database = TestDatabases.open(storeKind, dir);
        quotas = new QuotaStore(database.jdbi());
        store = new TrafficStore(database.jdbi());
        owners = new RunOwners(database.jdbi());
        sandbox("sb-a", "team-a", "run-a1");
        sandbox("sb-b", "team-a", "run-b1");
        sandbox("sb-c", "team-c", "run-c1");
    }

    @AfterEach
    void close() {
        owners.close();
        database.close();
    }

    /** A sandbox row served by {@code run}, as the sandbox store writes one. */
    private void sandbox(String id, String team, String run) {
        database.jdbi().useHandle(h -> h.createUpdate("INSERT INTO sandboxes (id, team_id, template_id, template_scope,"
                        + " spec, config, status, runtime_generation, node_sandbox_id, rootfs, expires_at, hard_expires_at,"
                        + " claimed_at, created_at, updated_at) VALUES (:id, :team, 'default', 'public', '{}', '{}',"
                        + " 'running', 1, :run, '[]', 0, 0, 0, 0, 0)")
                .bind("id", id).bind("team", team).bind("run", run).execute());
    }

    private TeamTraffic traffic() {
        return new TeamTraffic(store, quotas, owners, Clock.systemUTC(), interval);
    }

    @Test
    void bytesAreSummedPerTeamAndWrittenAsTotals() {
        owners.resolve("run-a1");
        owners.resolve("run-b1");
        owners.resolve("run-c1");
        try (var traffic = traffic()) {
            traffic.add("run-a1", 100, 1000);
            traffic.add("run-b1", 5, 50);
            traffic.add("run-c1", 7, 0);
            assertThat(traffic.usage("team-a")).as("usage counts what is not written yet").isEqualTo(new Totals(105, 1050));

            assertThat(traffic.flush()).isEqualTo(2);
            assertThat(store.of("team-a")).isEqualTo(new Totals(105, 1050));
            assertThat(store.of("team-c")).isEqualTo(new Totals(7, 0));
            assertThat(traffic.flush()).as("nothing new, nothing written").isZero();
            assertThat(store.of("team-a")).isEqualTo(new Totals(105, 1050));

            traffic.add("run-a1", 1, 2);
            traffic.flush();
            assertThat(store.of("team-a")).isEqualTo(new Totals(106, 1052));
            assertThat(traffic.usage("team-a")).isEqualTo(new Totals(106, 1052));
            assertThat(traffic.usage("team-none")).isEqualTo(Totals.ZERO);
        }
    }

    @Test
    void aRestartedServerCarriesOnFromTheStoredTotalsAndCloseWritesTheLastBytes() {
        owners.resolve("run-a1");
        try (var traffic = traffic()) {
            traffic.add("run-a1", 10, 20);
            traffic.flush();
            traffic.add("run-a1", 1, 1); // written by close
        }
        assertThat(store.of("team-a")).isEqualTo(new Totals(11, 21));

        try (var restarted = traffic()) {
            assertThat(restarted.usage("team-a")).isEqualTo(new Totals(11, 21));
            restarted.add("run-a1", 4, 4);
            restarted.flush();
        }
        assertThat(store.of("team-a")).isEqualTo(new Totals(15, 25));
    }

    @Test
    void bytesOfARunNotYetKnownReachItsTeamAtTheNextWrite() {
        try (var traffic = traffic()) {
            assertThat(owners.cached("run-b1")).isNull();
            traffic.add("run-b1", 3, 30);
            traffic.flush();
            assertThat(store.of("team-a")).isEqualTo(new Totals(3, 30));
            assertThat(traffic.usage("team-a")).isEqualTo(new Totals(3, 30));

            traffic.add("run-unknown", 9, 9); // an idle pool run: no team to charge
            traffic.flush();
            assertThat(store.all()).containsOnlyKeys("team-a");
        }
    }

    @Test
    void aTeamAtItsEgressOrIngressLimitOpensNoNewConnection() {
        owners.resolve("run-a1");
        owners.resolve("run-c1");
        try (var traffic = traffic()) {
            assertThat(traffic.mayOpen("run-a1")).as("no limits").isTrue();

            quotas.put("team-a", QuotaDimension.EGRESS, 100, Instant.now());
            traffic.reloadLimits();
            traffic.add("run-a1", 99, 0);
            assertThat(traffic.mayOpen("run-a1")).as("under the limit").isTrue();
            traffic.add("run-a1", 1, 0);
            assertThat(traffic.mayOpen("run-a1")).as("at the limit").isFalse();
            assertThat(traffic.mayOpen("run-c1")).as("another team").isTrue();

            quotas.put("team-c", QuotaDimension.INGRESS, 0, Instant.now());
            traffic.reloadLimits();
            assertThat(traffic.mayOpen("run-c1")).as("an ingress limit of 0").isFalse();

            quotas.delete("team-a", QuotaDimension.EGRESS);
            traffic.reloadLimits();
            assertThat(traffic.mayOpen("run-a1")).as("the limit removed").isTrue();
            assertThat(traffic.mayOpen("run-never-seen")).as("a run not known yet is let through").isTrue();
        }
    }

    @Test
    void totalsStayExactWhenWrittenAgain() {
        owners.resolve("run-a1");
        store.put(java.util.Map.of("team-a", new Totals(40, 50)), Instant.now());
        try (var traffic = traffic()) {
            traffic.add("run-a1", 2, 3);
            traffic.flush();
        }
        store.put(java.util.Map.of("team-a", new Totals(42, 53)), Instant.now()); // the same write twice
        assertThat(store.of("team-a")).isEqualTo(new Totals(42, 53));
    }
}
