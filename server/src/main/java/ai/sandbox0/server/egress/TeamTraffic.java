package ai.sandbox0.server.egress;

import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.node.egress.EgressAdmission;
import ai.sandbox0.node.egress.EgressMeter;
import ai.sandbox0.server.egress.TrafficStore.Totals;
import ai.sandbox0.server.tenancy.QuotaStore;
import java.time.Clock;
import ai.sandbox0.server.store.PeriodicWriter;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code egress} and {@code ingress} quota dimensions: bytes each team's sandboxes sent and received through
 * the egress proxy, and whether a team may open another connection. The proxy's threads only add to counters
 * and read caches; a virtual thread writes each team's totals to the store every {@code interval} (and once
 * more at close) and reloads the limits. A server killed outright loses at most the last interval's bytes.
 */
public final class TeamTraffic implements EgressMeter, EgressAdmission, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TeamTraffic.class);
    /** Bytes of a run no sandbox claims (an idle pool run) are kept this long for a claim to come, then dropped. */
    private static final long UNCLAIMED_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long NO_LIMIT = Long.MAX_VALUE;

    /** Bytes since the last write, on top of what the store holds. */
    private static final class Tally {
        final LongAdder egress = new LongAdder();
        final LongAdder ingress = new LongAdder();
        volatile long storedEgress;
        volatile long storedIngress;
        final long since = System.nanoTime();
        boolean settled;

        Totals now() {
            return new Totals(storedEgress + egress.sum(), storedIngress + ingress.sum());
        }
    }

    /** A team's limits, {@link #NO_LIMIT} where it has none. */
    private record Limits(long egress, long ingress) {
    }

    private final TrafficStore store;
    private final QuotaStore quotas;
    private final RunOwners owners;
    private final Clock clock;
    private final PeriodicWriter writer;
    private final ConcurrentHashMap<String, Tally> teams = new ConcurrentHashMap<>();
    /** Bytes of runs not yet known to belong to a sandbox, until the writer settles them on the run's team. */
    private final ConcurrentHashMap<String, Tally> unsettled = new ConcurrentHashMap<>();
    private volatile Map<String, Limits> limits = Map.of();

    public TeamTraffic(TrafficStore store, QuotaStore quotas, RunOwners owners, Clock clock, Duration interval) {
        this.store = store;
        this.quotas = quotas;
        this.owners = owners;
        this.clock = clock;
        this.writer = new PeriodicWriter("egress-traffic", interval, this::pass, this::flush);
        store.all().forEach((team, totals) -> {
            Tally t = new Tally();
            t.storedEgress = totals.egress();
            t.storedIngress = totals.ingress();
            teams.put(team, t);
        });
        reloadLimits();
    }

    /** Starts the periodic writer; {@link #close} stops it and writes what is left. */
    public TeamTraffic start() {
        writer.start();
        return this;
    }

    /** A read burst of the run's connections: lock-free adds, no store access. */
    @Override
    public void add(String runId, long out, long in) {
        RunOwners.Owner owner = owners.cached(runId);
        Tally t = owner != null ? teams.computeIfAbsent(owner.teamId(), k -> new Tally())
                : unsettled.computeIfAbsent(runId, k -> new Tally());
        if (out != 0) {
            t.egress.add(out);
        }
        if (in != 0) {
            t.ingress.add(in);
        }
    }

    /**
     * Refused when the run's team has used all its egress or ingress: at or over the limit. A run not known
     * yet (its first connection) is let through while it is looked up.
     */
    @Override
    public boolean mayOpen(String runId) {
        RunOwners.Owner owner = owners.cached(runId);
        if (owner == null) {
            return true;
        }
        Limits l = limits.get(owner.teamId());
        if (l == null) {
            return true;
        }
        Totals used = usage(owner.teamId());
        return used.egress() < l.egress() && used.ingress() < l.ingress();
    }

    /** What the team's sandboxes have sent and received over all time, including what is not written yet. */
    public Totals usage(String teamId) {
        Tally t = teams.get(teamId);
        return t == null ? Totals.ZERO : t.now();
    }

    /** Reads every team's egress and ingress limits again (a limit was set or removed). */
    public void reloadLimits() {
        var next = new HashMap<String, Limits>();
        quotas.limitsIn(EnumSet.of(QuotaDimension.EGRESS, QuotaDimension.INGRESS)).forEach((team, dims) -> next.put(team,
                new Limits(dims.getOrDefault(QuotaDimension.EGRESS, NO_LIMIT),
                        dims.getOrDefault(QuotaDimension.INGRESS, NO_LIMIT))));
        limits = Map.copyOf(next);
    }

    /**
     * Writes every team's totals that grew since the last write, in one transaction; returns how many teams were
     * written. When the store refuses, the bytes stay counted for the next attempt.
     */
    public synchronized int flush() {
        settle();
        var totals = new HashMap<String, Totals>();
        var drained = new HashMap<Tally, Totals>();
        teams.forEach((team, t) -> {
            long e = t.egress.sum();
            long i = t.ingress.sum();
            if (e != 0 || i != 0) {
                totals.put(team, new Totals(t.storedEgress + e, t.storedIngress + i));
                drained.put(t, new Totals(e, i));
            }
        });
        if (totals.isEmpty()) {
            return 0;
        }
        try {
            store.put(totals, clock.instant());
        } catch (RuntimeException e) {
            LOG.warn("writing egress traffic failed, retrying at the next write: {}", e.getMessage());
            return 0;
        }
        // Taken from the counters before the stored totals grow: a reader in between sees a little less, never twice.
        drained.forEach((t, d) -> {
            t.egress.add(-d.egress());
            t.ingress.add(-d.ingress());
            t.storedEgress += d.egress();
            t.storedIngress += d.ingress();
        });
        return totals.size();
    }

    /** Moves the bytes of runs that were unknown when they flowed to their sandbox's team. */
    private void settle() {
        for (var entry : unsettled.entrySet()) {
            String run = entry.getKey();
            Tally t = entry.getValue();
            Optional<RunOwners.Owner> owner;
            try {
                owner = owners.resolve(run);
            } catch (RuntimeException e) {
                LOG.warn("looking up the sandbox of run {} failed: {}", run, e.getMessage());
                continue;
            }
            if (owner.isEmpty()) {
                if (System.nanoTime() - t.since > UNCLAIMED_NANOS) {
                    unsettled.remove(run);
                    LOG.debug("run {}: {} bytes out, {} in belong to no sandbox; not counted", run, t.egress.sum(),
                            t.ingress.sum());
                }
                continue;
            }
            long e = t.egress.sum();
            long i = t.ingress.sum();
            Tally team = teams.computeIfAbsent(owner.get().teamId(), k -> new Tally());
            t.egress.add(-e);
            t.ingress.add(-i);
            team.egress.add(e);
            team.ingress.add(i);
            // A proxy thread that missed the cache just before the owner was known may still add here: kept one
            // more round.
            if (t.settled && e == 0 && i == 0) {
                unsettled.remove(run, t);
            }
            t.settled = true;
        }
    }

    private void pass() {
        try {
            reloadLimits();
        } catch (RuntimeException e) {
            LOG.warn("reading egress quota limits failed: {}", e.getMessage());
        }
        flush();
    }

    /** Stops the writer and writes the last totals (the store must still be open). */
    @Override
    public void close() {
        writer.close();
    }
}
