package ai.sandbox0.server.egress;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which sandbox, of which team, a node run serves: the egress proxy names sandboxes by their run. The proxy's
 * threads only read the cache ({@link #cached}); a miss asks a virtual thread to look the run up in the store,
 * so a new run is known a moment after its first connection. A run id is never reused, so an entry stays true;
 * entries of runs the store no longer has go after two sweeps without them.
 */
public final class RunOwners implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunOwners.class);
    /** A run the store does not know (a warm pool's idle run) is asked about at most this often. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The sandbox a run serves and its team. */
    public record Owner(String sandboxId, String teamId) {
    }

    private final Jdbi jdbi;
    private final ConcurrentHashMap<String, Owner> owners = new ConcurrentHashMap<>();
    /** Runs asked about and not found, with when: not asked again before {@link #RETRY_NANOS}. */
    private final ConcurrentHashMap<String, Long> asked = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<String> wanted = new LinkedBlockingQueue<>(10_000);
    /** Wakes the resolver at close; compared by identity, never a run id. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String STOP = new String("stop");
    private Set<String> goneLastSweep = Set.of();
    private final Thread resolver;
    private volatile boolean stopping;

    public RunOwners(Jdbi jdbi) {
        this.jdbi = jdbi;
        this.resolver = Thread.ofVirtual().name("egress-run-owners").start(this::resolve);
    }

    /** The run's owner if known; never waits. Unknown: it is looked up in the background. */
    public Owner cached(String runId) {
        Owner owner = owners.get(runId);
        if (owner == null) {
            long now = System.nanoTime();
            Long before = asked.putIfAbsent(runId, now);
            if (before == null || (now - before > RETRY_NANOS && asked.replace(runId, before, now))) {
                if (!wanted.offer(runId)) {
                    asked.remove(runId);
                }
            }
        }
        return owner;
    }

    /** The run serves {@code sandboxId} of {@code teamId} from now on: known before its first connection. */
    public void remember(String runId, String sandboxId, String teamId) {
        owners.put(runId, new Owner(sandboxId, teamId));
        asked.remove(runId);
    }

    /** The run's owner, from the store when not cached (blocks: never on a proxy thread). */
    public Optional<Owner> resolve(String runId) {
        Owner owner = owners.get(runId);
        if (owner != null) {
            return Optional.of(owner);
        }
        Optional<Owner> found = jdbi.withHandle(h -> h.createQuery("SELECT id, team_id FROM sandboxes WHERE"
                        + " node_sandbox_id = :run")
                .bind("run", runId).map((rs, ctx) -> new Owner(rs.getString(1), rs.getString(2))).findFirst());
        found.ifPresent(o -> {
            owners.put(runId, o);
            asked.remove(runId);
        });
        return found;
    }

    /** Forgets runs the store has not had for two sweeps in a row (their late records have arrived by then). */
    public synchronized void sweep() {
        Set<String> live = new HashSet<>(jdbi.withHandle(h -> h.createQuery("SELECT node_sandbox_id FROM sandboxes"
                + " WHERE node_sandbox_id IS NOT NULL").mapTo(String.class).list()));
        var gone = new HashSet<String>();
        for (String run : owners.keySet()) {
            if (!live.contains(run)) {
                if (goneLastSweep.contains(run)) {
                    owners.remove(run);
                } else {
                    gone.add(run);
                }
            }
        }
        goneLastSweep = gone;
        asked.entrySet().removeIf(e -> System.nanoTime() - e.getValue() > RETRY_NANOS * 60);
    }

    private void resolve() {
        long nextSweep = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!stopping) {
            try {
                String run = wanted.poll(1, TimeUnit.SECONDS);
                if (run != null && run != STOP && !stopping) {
                    resolve(run);
                }
                if (System.nanoTime() - nextSweep > 0) {
                    sweep();
                    nextSweep = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("looking up a run's sandbox failed: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        // Not an interrupt: that would close the store connection under a query in progress.
        stopping = true;
        wanted.offer(STOP); // when full, the resolver is not waiting anyway
        try {
            resolver.join(java.time.Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
