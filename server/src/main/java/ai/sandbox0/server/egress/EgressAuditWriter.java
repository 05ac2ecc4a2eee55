package ai.sandbox0.server.egress;

import ai.sandbox0.node.egress.EgressAudit;
import ai.sandbox0.node.egress.EgressRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the proxy's audit records off its threads: each goes into a bounded queue (a full queue drops it and
 * counts the drop, never making the proxy wait), and a virtual thread finds the sandbox of each record's run
 * and appends them to its audit log in batches.
 */
public final class EgressAuditWriter implements EgressAudit, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EgressAuditWriter.class);
    private static final int BATCH = 1000;

    private final EgressAuditLog log;
    private final RunOwners owners;
    private final EgressMetrics metrics;
    private final ArrayBlockingQueue<EgressRecord> queue;
    private final Thread writer;
    /** Wakes the writer at close; compared by identity, never written. */
    private static final EgressRecord STOP = new EgressRecord("", null, 0, null, null, false, null, 0, 0,
            java.time.Instant.EPOCH, java.time.Instant.EPOCH);
    private volatile boolean stopping;

    public EgressAuditWriter(EgressAuditLog log, RunOwners owners, EgressMetrics metrics, int capacity) {
        this.log = log;
        this.owners = owners;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.writer = Thread.ofVirtual().name("egress-audit").start(this::run);
    }

    @Override
    public void record(EgressRecord record) {
        if (!queue.offer(record)) {
            metrics.droppedQueueFull();
        }
    }

    /** Writes everything queued now; returns how many records were kept. */
    public int drain() {
        var batch = new ArrayList<EgressRecord>(BATCH);
        int kept = 0;
        while (queue.drainTo(batch, BATCH) > 0) {
            batch.removeIf(r -> r == STOP);
            kept += write(batch);
            batch.clear();
        }
        return kept;
    }

    private int write(List<EgressRecord> batch) {
        var bySandbox = new LinkedHashMap<String, List<EgressAuditEntry>>();
        for (EgressRecord r : batch) {
            Optional<RunOwners.Owner> owner;
            try {
                owner = owners.resolve(r.sandboxId());
            } catch (RuntimeException e) {
                LOG.warn("egress audit: looking up the sandbox of run {} failed: {}", r.sandboxId(), e.getMessage());
                metrics.droppedWriteFailed(1);
                continue;
            }
            if (owner.isEmpty()) {
                metrics.droppedUnattributed();
                continue;
            }
            bySandbox.computeIfAbsent(owner.get().sandboxId(), k -> new ArrayList<>()).add(EgressAuditEntry.of(r));
        }
        int kept = 0;
        for (Map.Entry<String, List<EgressAuditEntry>> e : bySandbox.entrySet()) {
            try {
                log.append(e.getKey(), e.getValue());
                kept += e.getValue().size();
            } catch (IOException | RuntimeException ex) {
                LOG.warn("egress audit of sandbox {} not written: {}", e.getKey(), ex.getMessage());
                metrics.droppedWriteFailed(e.getValue().size());
            }
        }
        return kept;
    }

    private void run() {
        var batch = new ArrayList<EgressRecord>(BATCH);
        while (!stopping) {
            try {
                EgressRecord first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null || first == STOP) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                batch.removeIf(r -> r == STOP);
                write(batch);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("egress audit batch failed: {}", e.getMessage());
            } finally {
                batch.clear();
            }
        }
    }

    /** Stops the writer and writes what is queued (the store must still be open). */
    @Override
    public void close() {
        // Not an interrupt: that would close the store connection under a query in progress.
        stopping = true;
        queue.offer(STOP); // when full, the writer is not waiting anyway
        try {
            writer.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
    }
}
