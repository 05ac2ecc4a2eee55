package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StartGateTest {

    @Test
    void aWaitingCallerGoesBeforeRefillsThatCameEarlier() throws Exception {
        var gate = new StartGate(1, Duration.ofSeconds(30));
        var order = new CopyOnWriteArrayList<String>();
        StartGate.Permit held = gate.enter(StartGate.Priority.REFILL);
        Thread refill = waitInLine(gate, StartGate.Priority.REFILL, "refill", order);
        awaitQueued(refill);
        Thread caller = waitInLine(gate, StartGate.Priority.CALLER, "caller", order);
        awaitQueued(caller);

        held.close();
        refill.join(5_000);
        caller.join(5_000);
        assertThat(order).containsExactly("caller", "refill");
    }

    @Test
    void callersAreServedInTheOrderTheyCame() throws Exception {
        var gate = new StartGate(1, Duration.ofSeconds(30));
        var order = new CopyOnWriteArrayList<String>();
        StartGate.Permit held = gate.enter(StartGate.Priority.CALLER);
        var threads = new java.util.ArrayList<Thread>();
        for (int i = 0; i < 4; i++) {
            Thread t = waitInLine(gate, StartGate.Priority.CALLER, "c" + i, order);
            awaitQueued(t);
            threads.add(t);
        }
        held.close();
        for (Thread t : threads) {
            t.join(5_000);
        }
        assertThat(order).containsExactly("c0", "c1", "c2", "c3");
    }

    @Test
    void aCallerThatWaitedTheLongestWaitIsTurnedAwayWithWhenToComeBack() throws Exception {
        var gate = new StartGate(1, Duration.ofMillis(200));
        try (StartGate.Permit held = gate.enter(StartGate.Priority.CALLER)) {
            assertThatThrownBy(() -> gate.enter(StartGate.Priority.CALLER))
                    .isInstanceOfSatisfying(StartGate.Busy.class, busy -> {
                        assertThat(busy.retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
                        assertThat(busy.reason()).startsWith("the host is starting as many sandboxes as it can (1 at once")
                                .contains("try again in");
                    });
            assertThat(gate.waiting()).isZero();
        }
        // The one turned away left the line: the next caller gets the free slot at once.
        try (StartGate.Permit next = gate.enter(StartGate.Priority.CALLER)) {
            assertThat(next).isNotNull();
        }
    }

    @Test
    void aCallerIsTurnedAwayAtOnceWhenTheStartsAheadWouldTakeLongerThanItMayWait() throws Exception {
        var gate = new StartGate(1, Duration.ofSeconds(1));
        try (StartGate.Permit timed = gate.enter(StartGate.Priority.CALLER)) {
            Thread.sleep(1500); // the gate learns that a start takes this long
        }
        try (StartGate.Permit held = gate.enter(StartGate.Priority.CALLER)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> gate.enter(StartGate.Priority.CALLER)).isInstanceOf(StartGate.Busy.class);
            // Not after waiting its second out: there was no point.
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(900));
            assertThat(gate.expectedWait()).isGreaterThanOrEqualTo(Duration.ofMillis(1400));
        }
    }

    @Test
    void refillsNeverGiveUpAndStartOnceNoCallerWaits() throws Exception {
        var gate = new StartGate(1, Duration.ofMillis(50));
        var order = new CopyOnWriteArrayList<String>();
        StartGate.Permit held = gate.enter(StartGate.Priority.CALLER);
        Thread refill = waitInLine(gate, StartGate.Priority.REFILL, "refill", order);
        Thread.sleep(300); // far past maxWait
        assertThat(refill.isAlive()).isTrue();
        held.close();
        refill.join(5_000);
        assertThat(order).containsExactly("refill");
    }

    @Test
    void asManyStartAtOnceAsThereAreSlots() throws Exception {
        var gate = new StartGate(3, Duration.ofSeconds(30));
        var inside = new java.util.concurrent.atomic.AtomicInteger();
        var most = new java.util.concurrent.atomic.AtomicInteger();
        var done = new CountDownLatch(12);
        for (int i = 0; i < 12; i++) {
            Thread.ofVirtual().start(() -> {
                try (StartGate.Permit p = gate.enter(i0() ? StartGate.Priority.CALLER : StartGate.Priority.REFILL)) {
                    most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    Thread.sleep(20);
                    inside.decrementAndGet();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    done.countDown();
                }
            });
        }
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(most.get()).isEqualTo(3);
    }

    private static boolean i0() {
        return java.util.concurrent.ThreadLocalRandom.current().nextBoolean();
    }

    private static Thread waitInLine(StartGate gate, StartGate.Priority priority, String name, List<String> order) {
        return Thread.ofVirtual().name(name).start(() -> {
            try (StartGate.Permit p = gate.enter(priority)) {
                order.add(name);
            } catch (Exception e) {
                order.add(name + " failed: " + e);
            }
        });
    }

    /** Until the thread is parked in the gate's queue. */
    private static void awaitQueued(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " never queued: " + t.getState());
            }
            Thread.sleep(5);
        }
    }
}
