package ai.sandbox0.server.egress;

import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.node.egress.EgressProxy;
import ai.sandbox0.server.tenancy.QuotaStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server keeps of its sandboxes' egress: the audit of every connection, the Prometheus counters and
 * the {@code egress}/{@code ingress} quotas (metered, and enforced when a connection opens). {@link #hooks()}
 * is what the node's egress plane is given.
 */
public final class ServerEgress implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServerEgress.class);
    /** How often the byte totals are written and the limits reread: what a server killed outright can lose. */
    public static final Duration FLUSH_INTERVAL = Duration.ofSeconds(2);
    private static final int AUDIT_QUEUE = 16_384;

    private final RunOwners owners;
    private final EgressMetrics metrics;
    private final EgressAuditLog auditLog;
    private final EgressAuditWriter auditWriter;
    private final TeamTraffic traffic;

    private ServerEgress(RunOwners owners, EgressMetrics metrics, EgressAuditLog auditLog, EgressAuditWriter auditWriter,
            TeamTraffic traffic) {
        this.owners = owners;
        this.metrics = metrics;
        this.auditLog = auditLog;
        this.auditWriter = auditWriter;
        this.traffic = traffic;
    }

    /**
     * Starts the audit writer and the traffic writer over the store, with the audit under {@code auditDir}. The
     * audit of sandboxes {@code exists} denies (deleted while the server was down) is deleted first.
     */
    public static ServerEgress start(Jdbi jdbi, QuotaStore quotas, Path auditDir, Predicate<String> exists,
            MeterRegistry registry, Clock clock) {
        var auditLog = new EgressAuditLog(auditDir, EgressAuditLog.DEFAULT_CAP_BYTES);
        try {
            int removed = auditLog.retainOnly(exists);
            if (removed > 0) {
                LOG.info("egress audit of {} deleted sandboxes removed", removed);
            }
        } catch (IOException e) {
            LOG.warn("egress audit of deleted sandboxes not removed: {}", e.getMessage());
        }
        var owners = new RunOwners(jdbi);
        var metrics = new EgressMetrics(registry);
        var traffic = new TeamTraffic(new TrafficStore(jdbi), quotas, owners, clock, FLUSH_INTERVAL).start();
        return new ServerEgress(owners, metrics, auditLog, new EgressAuditWriter(auditLog, owners, metrics, AUDIT_QUEUE),
                traffic);
    }

    /** The audit, metering and admission the node's proxy calls (no SOCKS5 upstream credentials). */
    public EgressProxy.Hooks hooks() {
        return EgressProxy.Hooks.NONE
                .withAudit(r -> {
                    if (r.request() == null) {
                        metrics.connection(r.allowed());
                    } else {
                        metrics.request(r.allowed());
                    }
                    auditWriter.record(r);
                })
                .withMeter((run, out, in) -> {
                    metrics.bytes(out, in);
                    traffic.add(run, out, in);
                })
                .withAdmission(traffic);
    }

    /** A run now serves a sandbox: its connections are the sandbox's team's from the first one. */
    public void runAssigned(String runId, String sandboxId, String teamId) {
        owners.remember(runId, sandboxId, teamId);
    }

    /** The sandbox a node run serves, from the store when not cached (blocks: never on a proxy thread). */
    public Optional<String> sandboxOfRun(String runId) {
        return owners.resolve(runId).map(RunOwners.Owner::sandboxId);
    }

    public EgressAuditLog auditLog() {
        return auditLog;
    }

    /** What GET /api/v1/quotas shows as used for {@code egress} and {@code ingress} (bytes); empty for the rest. */
    public OptionalLong usage(String teamId, QuotaDimension dimension) {
        return switch (dimension) {
            case EGRESS -> OptionalLong.of(traffic.usage(teamId).egress());
            case INGRESS -> OptionalLong.of(traffic.usage(teamId).ingress());
            default -> OptionalLong.empty();
        };
    }

    /** A team's egress or ingress limit changed: the proxy's admission sees it from now on. */
    public void limitChanged(QuotaDimension dimension) {
        if (dimension == QuotaDimension.EGRESS || dimension == QuotaDimension.INGRESS) {
            traffic.reloadLimits();
        }
    }

    /** The sandbox is deleted: its audit goes with it. */
    public void forget(String sandboxId) {
        auditLog.remove(sandboxId);
    }

    @Override
    public void close() {
        auditWriter.close();
        traffic.close();
        owners.close();
    }
}
