package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.store.PeriodicWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How often and when each API key was used ({@code usage_count}, {@code last_used_at}). Every API request
 * authenticates, so the tally is kept in memory and written in batches, one UPDATE per key used since the
 * last batch, every {@code interval} on a virtual thread and once more at close. A server killed outright
 * loses at most the last interval's counts.
 */
public final class ApiKeyUsage implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeyUsage.class);

    /** Uses since the last write, and the latest use ever seen (epoch millis). */
    private static final class Tally {
        final LongAdder uses = new LongAdder();
        final LongAccumulator lastUsed = new LongAccumulator(Long::max, Long.MIN_VALUE);
    }

    private final ApiKeyStore store;
    private final PeriodicWriter writer;
    // One entry per key used since start (deleted keys are forgotten): a few hundred in practice.
    private final ConcurrentHashMap<String, Tally> tallies = new ConcurrentHashMap<>();

    public ApiKeyUsage(ApiKeyStore store, Duration interval) {
        this.store = store;
        this.writer = new PeriodicWriter("api-key-usage", interval, this::flush, this::flush);
    }

    /** Starts the periodic writer; {@link #close} stops it and writes what is left. */
    public ApiKeyUsage start() {
        writer.start();
        return this;
    }

    /** One use of the key at {@code at}: two lock-free updates, no store access. */
    public void record(String keyId, Instant at) {
        Tally tally = tallies.computeIfAbsent(keyId, id -> new Tally());
        // The time first: a flush that sees the use also sees a last-used time at least as late.
        tally.lastUsed.accumulate(at.toEpochMilli());
        tally.uses.increment();
    }

    /** The key is gone: nothing more to write for it. */
    public void forget(String keyId) {
        tallies.remove(keyId);
    }

    /**
     * Writes the uses counted since the last flush, one UPDATE per key in one transaction; returns how many
     * keys were written. When the store refuses, the counts are kept for the next attempt.
     */
    public synchronized int flush() {
        var batch = new ArrayList<ApiKeyStore.Usage>();
        var drained = new ArrayList<Map.Entry<Tally, Long>>();
        tallies.forEach((id, tally) -> {
            // Every increment lands in exactly one drain (sumThenReset swaps each cell with zero).
            long uses = tally.uses.sumThenReset();
            if (uses > 0) {
                batch.add(new ApiKeyStore.Usage(id, uses, Instant.ofEpochMilli(tally.lastUsed.get())));
                drained.add(Map.entry(tally, uses));
            }
        });
        if (batch.isEmpty()) {
            return 0;
        }
        try {
            store.addUsage(batch);
            return batch.size();
        } catch (RuntimeException e) {
            drained.forEach(entry -> entry.getKey().uses.add(entry.getValue()));
            LOG.warn("writing API key usage failed, retrying at the next flush: {}", e.getMessage());
            return 0;
        }
    }

    /** Stops the writer and writes the last counts (the store must still be open). */
    @Override
    public void close() {
        writer.close();
    }
}
