package ai.sandbox0.node.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.Resources;
import ai.sandbox0.node.StartGate;
import ai.sandbox0.node.runtime.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pool's bookkeeping with a fake runtime: claims, refills, drains, bounds, failures. */
class WarmPoolTest {

    private final FakeFactory factory = new FakeFactory();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        executor.close();
    }

    private static SandboxSpec proto(String cpu) {
        return SandboxSpec.of("proto", List.of(Path.of("/layers/base")), Resources.of(cpu, "2Gi"), NetworkMode.ALLOW_ALL);
    }

    private WarmPool pool(int min, int max, int concurrency) {
        return new WarmPool(PoolSpec.of("default", proto("500m"), min, max), factory, new StartGate(concurrency, java.time.Duration.ofSeconds(30)), executor);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void fillsToMinIdleThenAClaimIsWarmAndRefills() throws Exception {
        WarmPool pool = pool(2, 3, 4);
        pool.refillLater();
        await(() -> pool.idleCount() == 2);
        Claim c = pool.claim();
        assertThat(c).isInstanceOf(Claim.Warm.class);
        assertThat(c.sandbox().id()).startsWith("default-");
        await(() -> pool.idleCount() == 2);
        assertThat(factory.started).hasSize(3);
        assertThat(pool.idleIds()).doesNotContain(c.sandbox().id());
    }

    @Test
    void anEmptyPoolStartsColdForTheClaim() throws Exception {
        WarmPool pool = pool(0, 0, 1);
        Claim c = pool.claim();
        assertThat(c).isInstanceOf(Claim.Cold.class);
        assertThat(factory.started).extracting(SandboxSpec::id).containsExactly(c.sandbox().id());
        Thread.sleep(50);
        assertThat(pool.idleCount()).isZero();
    }

    @Test
    void aTemplateChangeDrainsStaleIdleSandboxesAndRefillsWithTheNewSpec() throws Exception {
        WarmPool pool = pool(2, 2, 4);
        pool.refillLater();
        await(() -> pool.idleCount() == 2);
        List<String> old = pool.idleIds();
        pool.update(PoolSpec.of("default", proto("1"), 2, 2));
        await(() -> factory.destroyed.containsAll(old) && pool.idleCount() == 2);
        assertThat(pool.idleIds()).doesNotContainAnyElementsOf(old);
        assertThat(factory.started.subList(2, 4)).allSatisfy(s -> assertThat(s.resources().cpuMillis()).isEqualTo(1000));
    }

    @Test
    void staleOrDeadIdleSandboxesAreNeverHandedOut() throws Exception {
        WarmPool pool = pool(1, 1, 2);
        pool.refillLater();
        await(() -> pool.idleCount() == 1);
        String idle = pool.idleIds().getFirst();
        factory.dead.add(idle);
        Claim c = pool.claim();
        assertThat(c.sandbox().id()).isNotEqualTo(idle);
        await(() -> factory.destroyed.contains(idle));
    }

    @Test
    void maxIdleCapsTheIdleSandboxes() throws Exception {
        WarmPool pool = pool(3, 3, 4);
        pool.refillLater();
        await(() -> pool.idleCount() == 3);
        pool.update(new PoolSpec("default", pool.spec().prototype(), pool.spec().specHash(), 1, 1));
        await(() -> pool.idleCount() == 1 && factory.destroyed.size() == 2);
    }

    @Test
    void startsAreBoundedByTheSharedStartGate() throws Exception {
        factory.startMillis = 50;
        WarmPool pool = pool(8, 8, 2);
        pool.refillLater();
        await(() -> pool.idleCount() == 8);
        assertThat(factory.maxConcurrent.get()).isLessThanOrEqualTo(2);
    }

    @Test
    void concurrentClaimsNeverShareASandbox() throws Exception {
        factory.startMillis = 1;
        WarmPool pool = pool(4, 8, 4);
        pool.refillLater();
        await(() -> pool.idleCount() == 4);
        var ids = java.util.concurrent.ConcurrentHashMap.<String>newKeySet();
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 40; i++) {
                ex.submit(() -> ids.add(pool.claim().sandbox().id()));
            }
        }
        assertThat(ids).hasSize(40);
    }

    @Test
    void failingStartsBackOffAndRecover() throws Exception {
        factory.failing = true;
        WarmPool pool = pool(1, 1, 1);
        pool.refillLater();
        Thread.sleep(300);
        assertThat(pool.idleCount()).isZero();
        factory.failing = false;
        await(() -> pool.idleCount() == 1);
        assertThatThrownBy(() -> new PoolSpec("x", proto("1"), "h", 2, 1)).hasMessageContaining("maxIdle (1) must be >= minIdle (2)");
    }

    @Test
    void aColdClaimRaisesTheTargetWithinMaxIdle() throws Exception {
        WarmPool pool = pool(0, 3, 4);
        assertThat(pool.claim()).isInstanceOf(Claim.Cold.class);
        assertThat(pool.target()).isEqualTo(2);
        await(() -> pool.idleCount() == 2);
        assertThat(pool.claim()).isInstanceOf(Claim.Warm.class);
        await(() -> pool.idleCount() == 2);
        WarmPool capped = pool(0, 1, 4);
        capped.claim();
        assertThat(capped.target()).isEqualTo(1);
    }

    @Test
    void maintenanceReplacesIdleSandboxesThatDied() throws Exception {
        var pools = new WarmPools(factory, new StartGate(2, Duration.ofSeconds(30)), executor, Duration.ofMillis(50));
        WarmPool pool = pools.configure(PoolSpec.of("default", proto("500m"), 1, 1));
        await(() -> pool.idleCount() == 1);
        String died = pool.idleIds().getFirst();
        factory.dead.add(died);
        await(() -> factory.destroyed.contains(died) && pool.idleCount() == 1 && !pool.idleIds().contains(died));
        pools.close();
    }

    @Test
    void closeDestroysEveryIdleSandbox() throws Exception {
        WarmPool pool = pool(3, 3, 3);
        pool.refillLater();
        await(() -> pool.idleCount() == 3);
        List<String> idle = pool.idleIds();
        pool.close();
        assertThat(factory.destroyed).containsAll(idle);
        assertThatThrownBy(pool::claim).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
