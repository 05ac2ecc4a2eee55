package ai.sandbox0.server.egress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The egress proxy's Prometheus counters: connections and inspected requests by decision, bytes by direction, and audit records the
 * server could not keep. No sandbox or team labels: those would make a series per sandbox.
 */
public final class EgressMetrics {

    private final Counter allowed;
    private final Counter denied;
    private final Counter requestsAllowed;
    private final Counter requestsDenied;
    private final Counter egressBytes;
    private final Counter ingressBytes;
    private final Counter droppedQueueFull;
    private final Counter droppedUnattributed;
    private final Counter droppedWriteFailed;

    public EgressMetrics(MeterRegistry registry) {
        allowed = connections(registry, "allowed");
        denied = connections(registry, "denied");
        requestsAllowed = requests(registry, "allowed");
        requestsDenied = requests(registry, "denied");
        egressBytes = bytes(registry, "egress");
        ingressBytes = bytes(registry, "ingress");
        droppedQueueFull = dropped(registry, "queue_full");
        droppedUnattributed = dropped(registry, "no_sandbox");
        droppedWriteFailed = dropped(registry, "write_failed");
    }

    private static Counter connections(MeterRegistry registry, String decision) {
        return Counter.builder("sandbox0.egress.connections")
                .description("Sandbox TCP connections the egress proxy decided, by decision")
                .tag("decision", decision).register(registry);
    }

    private static Counter requests(MeterRegistry registry, String decision) {
        return Counter.builder("sandbox0.egress.requests")
                .description("Requests inside inspected sandbox connections, by decision")
                .tag("decision", decision).register(registry);
    }

    private static Counter bytes(MeterRegistry registry, String direction) {
        return Counter.builder("sandbox0.egress.bytes")
                .description("Bytes sandboxes sent (egress) and received (ingress) through the egress proxy")
                .tag("direction", direction).register(registry);
    }

    private static Counter dropped(MeterRegistry registry, String reason) {
        return Counter.builder("sandbox0.egress.audit.dropped")
                .description("Egress audit records not kept: the queue was full, no sandbox owns the run, or the write failed")
                .tag("reason", reason).register(registry);
    }

    void connection(boolean wasAllowed) {
        (wasAllowed ? allowed : denied).increment();
    }

    void request(boolean wasAllowed) {
        (wasAllowed ? requestsAllowed : requestsDenied).increment();
    }

    void bytes(long out, long in) {
        if (out != 0) {
            egressBytes.increment(out);
        }
        if (in != 0) {
            ingressBytes.increment(in);
        }
    }

    void droppedQueueFull() {
        droppedQueueFull.increment();
    }

    void droppedUnattributed() {
        droppedUnattributed.increment();
    }

    void droppedWriteFailed(int n) {
        droppedWriteFailed.increment(n);
    }
}
