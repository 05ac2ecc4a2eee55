package ai.sandbox0.node.pool;

import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Sandboxes without a host: starts take {@code startMillis}, and can be made to fail. */
final class FakeFactory implements SandboxFactory {

    final List<SandboxSpec> started = new CopyOnWriteArrayList<>();
    final List<String> destroyed = new CopyOnWriteArrayList<>();
    final Set<String> dead = ConcurrentHashMap.newKeySet();
    final AtomicInteger concurrent = new AtomicInteger();
    final AtomicInteger maxConcurrent = new AtomicInteger();
    volatile long startMillis = 20;
    volatile boolean failing;

    @Override
    public Sandbox start(SandboxSpec spec) throws SetupException {
        int now = concurrent.incrementAndGet();
        maxConcurrent.accumulateAndGet(now, Math::max);
        try {
            Thread.sleep(startMillis);
            if (failing) {
                throw new SetupException(Step.RUNC_RUN, spec.id() + ": failing on purpose");
            }
            started.add(spec);
            return new Sandbox(spec.id(), "10.0.0.1", 49983, "t", 0, 1, "/x/" + spec.id(),
                    Instant.now(), spec);
        } catch (InterruptedException e) {
            throw new SetupException(Step.RUNC_RUN, "interrupted");
        } finally {
            concurrent.decrementAndGet();
        }
    }

    @Override
    public void destroy(String id) {
        destroyed.add(id);
    }

    @Override
    public boolean alive(Sandbox sandbox) {
        return !dead.contains(sandbox.id());
    }
}
