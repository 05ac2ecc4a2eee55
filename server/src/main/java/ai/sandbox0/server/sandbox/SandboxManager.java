package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.sandbox.ClaimRequest;
import ai.sandbox0.api.sandbox.ClaimResponse;
import ai.sandbox0.api.sandbox.PauseSandboxResponse;
import ai.sandbox0.api.sandbox.RefreshResponse;
import ai.sandbox0.api.sandbox.ResumeSandboxResponse;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.sandbox.SandboxRefreshRequest;
import ai.sandbox0.api.sandbox.SandboxUpdateConfig;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.node.layer.LayerChain;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.procd.ProcdEndpoint;
import ai.sandbox0.server.sandbox.SandboxRuntimes.Run;
import ai.sandbox0.server.template.StoredTemplate;
import ai.sandbox0.server.template.TemplateCatalog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox lifecycle (spec §2): claim, pause (checkpoint then release the runtime), resume (a new
 * runtime generation from the checkpoint), delete, TTLs and auto-resume. Every transition is decided by
 * {@link Lifecycle}, taken under the sandbox's lock and written with a compare-and-set on the status it
 * was decided from; background work (the checkpoint of a pause) is idempotent and resumes after a crash
 * from what the store says.
 */
public final class SandboxManager implements SandboxAccess {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxManager.class);
    /** How long a call on a paused sandbox waits for an auto-resume (spec §2.5). */
    private static final Duration RESUME_BUDGET = Duration.ofMinutes(2);

    private final SandboxStore store;
    private final TemplateCatalog templates;
    private final SnapshotStore snapshots;
    private final SandboxRuntimes runtimes;
    private final Clock clock;
    private final Duration defaultTtl;
    private final Executor background;
    private final SandboxIds ids;
    private final SandboxLocks locks;

    public SandboxManager(SandboxStore store, TemplateCatalog templates, SnapshotStore snapshots, SandboxRuntimes runtimes,
            SandboxLocks locks, SandboxIds ids, Clock clock, Duration defaultTtl, Executor background) {
        this.locks = locks;
        this.ids = ids;
        this.store = store;
        this.templates = templates;
        this.snapshots = snapshots;
        this.runtimes = runtimes;
        this.clock = clock;
        this.defaultTtl = defaultTtl;
        this.background = background;
    }

    // ---- claim -------------------------------------------------------------------------------------

    public ClaimResponse claim(Principal caller, ClaimRequest request) {
        if (request == null || request.template() == null || request.template().isBlank()) {
            throw ApiException.badRequest("template is required");
        }
        SandboxConfig config = ClaimRules.check(request.config() == null ? emptyConfig() : request.config());
        if (request.mounts() != null && !request.mounts().isEmpty()) {
            throw ApiException.unavailable("sandbox volumes are not enabled on this server");
        }
        String templateId = request.template().strip().toLowerCase(Locale.ROOT);
        StoredTemplate template = templates.resolve(caller, templateId)
                .orElseThrow(() -> ApiException.notFound("template " + templateId + " not found"));
        Optional<SnapshotStore.Snapshot> snapshot = request.snapshotId() == null ? Optional.empty()
                : Optional.of(snapshots.findUsable(caller.teamId(), request.snapshotId(), clock.instant())
                        .orElseThrow(() -> ApiException.notFound("snapshot " + request.snapshotId() + " not found")));
        LayerChain chain = snapshot.map(SnapshotStore.Snapshot::rootfs)
                .orElseGet(() -> runtimes.imageChain(template.spec()));

        Instant now = clock.instant();
        String id = ids.sandbox();
        var record = new SandboxRecord(id, caller.teamId(), caller.userId(), template.templateId(), template.scope(),
                template.spec(), config, SandboxLifecycleStatus.STARTING, null, 1, null, chain,
                softDeadline(config.ttl(), now), hardDeadline(config.hardTtl(), now), now, now, now);
        store.insert(record);
        return withSandbox(id, () -> {
            Run run;
            try {
                run = snapshot.isPresent() ? null
                        : runtimes.claimWarm(NodeWarmPools.poolId(template), template.spec(), config).orElse(null);
                if (run == null) {
                    String nodeId = nodeId(id, 1);
                    // Recorded before the start, so a crash mid-start can find (and adopt or remove) the run.
                    store.update(record.withRuntime(nodeId, 1, now), SandboxLifecycleStatus.STARTING);
                    run = runtimes.start(nodeId, template.spec(), config, chain);
                }
            } catch (RuntimeException e) {
                store.delete(id);
                throw e;
            }
            SandboxRecord running = record.withRuntime(run.nodeId(), 1, clock.instant())
                    .withStatus(SandboxLifecycleStatus.RUNNING, null, clock.instant());
            if (!store.update(running, SandboxLifecycleStatus.STARTING)) {
                runtimes.destroy(run.nodeId()); // deleted while starting
                throw ApiException.notFound("sandbox not found");
            }
            LOG.info("claimed from template {} ({})", template.templateId(), run.nodeId());
            return new ClaimResponse(id, SandboxLifecycleStatus.RUNNING, run.nodeId(), template.templateId(), null, null);
        });
    }

    // ---- pause and resume ----------------------------------------------------------------------------

    public PauseSandboxResponse pause(Principal caller, String id) {
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            return switch (Lifecycle.decide(record.status(), new LifecycleCommand.Pause())) {
                case Verdict.AlreadyThere a -> new PauseSandboxResponse(id, record.paused(), record.status(), null, null, null);
                case Verdict.Conflict c -> throw ApiException.conflict(c.message());
                case Verdict.Proceed p -> {
                    beginPause(record);
                    yield new PauseSandboxResponse(id, false, SandboxLifecycleStatus.PAUSING, null, null, null);
                }
                case Verdict.NeedsResume n -> throw new IllegalStateException("pause never needs a resume");
            };
        });
    }

    /** Marks the sandbox pausing and checkpoints it in the background. Caller holds the lock. */
    private void beginPause(SandboxRecord record) {
        Instant now = clock.instant();
        if (!store.update(record.withStatus(SandboxLifecycleStatus.PAUSING, null, now), record.status())) {
            throw ApiException.conflict("sandbox changed while pausing; try again");
        }
        background.execute(() -> finishPause(record.id()));
    }

    /**
     * The second half of a pause: checkpoint the run, store the new chain, release the runtime.
     * Idempotent: it acts only while the store says pausing, so a retry after a crash is safe.
     */
    void finishPause(String id) {
        withSandbox(id, () -> {
            SandboxRecord record = store.find(id).orElse(null);
            if (record == null || record.status() != SandboxLifecycleStatus.PAUSING) {
                return null;
            }
            LayerChain chain = record.rootfs();
            try {
                if (record.nodeSandboxId() != null) {
                    chain = runtimes.checkpoint(record.nodeSandboxId(), record.id());
                }
            } catch (RuntimeException e) {
                // The run's changes stay on disk; the sandbox is failed, not lost, and resume retries from the store.
                LOG.error("checkpoint failed; the sandbox keeps its last good checkpoint: {}", e.getMessage());
                store.update(record.withStatus(SandboxLifecycleStatus.FAILED, "checkpoint failed: " + e.getMessage(),
                        clock.instant()), SandboxLifecycleStatus.PAUSING);
                return null;
            }
            Instant now = clock.instant();
            store.update(record.withRootfs(chain, now).withRuntime(null, record.runtimeGeneration(), now)
                    .withStatus(SandboxLifecycleStatus.PAUSED, null, now), SandboxLifecycleStatus.PAUSING);
            LOG.info("paused ({} layers)", chain.depth());
            return null;
        });
    }

    public ResumeSandboxResponse resume(Principal caller, String id) {
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            return switch (Lifecycle.decide(record.status(), new LifecycleCommand.Resume())) {
                case Verdict.AlreadyThere a -> new ResumeSandboxResponse(id, true, null);
                case Verdict.Conflict c -> throw ApiException.conflict(c.message());
                case Verdict.Proceed p -> {
                    resumeLocked(record);
                    yield new ResumeSandboxResponse(id, true, null);
                }
                case Verdict.NeedsResume n -> throw new IllegalStateException("resume never needs a resume");
            };
        });
    }

    /** Starts the next runtime generation from the stored chain. Caller holds the lock. */
    private SandboxRecord resumeLocked(SandboxRecord record) {
        if (record.hardExpiresAt() != null && !clock.instant().isBefore(record.hardExpiresAt())) {
            throw ApiException.notFound("sandbox not found");
        }
        long generation = record.runtimeGeneration() + 1;
        String nodeId = nodeId(record.id(), generation);
        Instant now = clock.instant();
        SandboxRecord resuming = record.withRuntime(nodeId, record.runtimeGeneration(), now)
                .withStatus(SandboxLifecycleStatus.RESUMING, null, now);
        if (!store.update(resuming, record.status())) {
            throw ApiException.conflict("sandbox changed while resuming; try again");
        }
        Run run;
        try {
            run = runtimes.start(nodeId, record.spec(), record.config(), record.rootfs());
        } catch (RuntimeException e) {
            store.update(record.withRuntime(null, record.runtimeGeneration(), clock.instant())
                    .withStatus(SandboxLifecycleStatus.PAUSED, "resume failed: " + e.getMessage(), clock.instant()),
                    SandboxLifecycleStatus.RESUMING);
            throw e;
        }
        now = clock.instant();
        Integer ttl = effectiveTtl(record.config());
        SandboxRecord running = resuming.withRuntime(run.nodeId(), generation, now)
                .withConfig(record.config(), softDeadline(ttl, now), record.hardExpiresAt(), now)
                .withStatus(SandboxLifecycleStatus.RUNNING, null, now);
        if (!store.update(running, SandboxLifecycleStatus.RESUMING)) {
            runtimes.destroy(run.nodeId());
            throw ApiException.notFound("sandbox not found");
        }
        LOG.info("resumed as generation {}", generation);
        return running;
    }

    // ---- delete, update, refresh ----------------------------------------------------------------------

    public void delete(Principal caller, String id) {
        withSandbox(id, () -> {
            deleteLocked(visible(caller, id));
            return null;
        });
    }

    private void deleteLocked(SandboxRecord record) {
        if (record.status() != SandboxLifecycleStatus.TERMINATING) {
            store.update(record.withStatus(SandboxLifecycleStatus.TERMINATING, null, clock.instant()), record.status());
        }
        if (record.nodeSandboxId() != null) {
            runtimes.destroy(record.nodeSandboxId());
        }
        runtimes.forgetPreviousLog(record.id());
        store.delete(record.id());
        locks.forget(record.id());
        LOG.info("deleted");
    }

    public SandboxRecord update(Principal caller, String id, SandboxUpdateConfig update) {
        if (update == null) {
            throw ApiException.badRequest("config is required");
        }
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            SandboxConfig old = record.config();
            SandboxConfig requested = new SandboxConfig(
                    update.envVars() != null ? update.envVars() : old.envVars(),
                    update.ttl() != null ? update.ttl() : old.ttl(),
                    update.hardTtl() != null ? update.hardTtl() : old.hardTtl(),
                    update.network() != null ? update.network() : old.network(),
                    old.webhook(),
                    update.autoResume() != null ? update.autoResume() : old.autoResume(),
                    update.services() != null ? update.services() : old.services());
            SandboxConfig merged = ClaimRules.check(requested, "invalid update request: ");
            Instant now = clock.instant();
            Instant expires = update.ttl() != null ? softDeadline(update.ttl(), now) : record.expiresAt();
            Instant hardExpires = update.hardTtl() != null ? hardDeadline(update.hardTtl(), now) : record.hardExpiresAt();
            SandboxRecord next = record.withConfig(merged, expires, hardExpires, now);
            if (!store.update(next, record.status())) {
                throw ApiException.conflict("sandbox changed during the update; try again");
            }
            if (update.envVars() != null && record.status() == SandboxLifecycleStatus.RUNNING) {
                runtimes.run(record.nodeSandboxId()).ifPresent(run -> runtimes.applyEnv(run, record.spec(), merged));
            }
            return next;
        });
    }

    public RefreshResponse refresh(Principal caller, String id, SandboxRefreshRequest request) {
        Integer duration = request == null ? null : request.duration();
        if (duration != null && duration < 0) {
            throw ApiException.badRequest("duration must be >= 0");
        }
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            if (Lifecycle.decide(record.status(), new LifecycleCommand.Refresh()) instanceof Verdict.Conflict c) {
                throw ApiException.conflict(c.message());
            }
            Instant now = clock.instant();
            Integer ttl = duration != null && duration > 0 ? duration : effectiveTtl(record.config());
            Integer hardTtl = record.config().hardTtl();
            if (ttl != null && ttl > 0 && hardTtl != null && hardTtl > 0 && ttl > hardTtl) {
                throw ApiException.badRequest("refresh duration " + ttl + " exceeds hard_ttl " + hardTtl);
            }
            Instant expires = softDeadline(ttl, now);
            Instant hardExpires = hardDeadline(hardTtl, now);
            SandboxRecord next = record.withConfig(record.config(), expires, hardExpires, now);
            if (!store.update(next, record.status())) {
                throw ApiException.conflict("sandbox changed during the refresh; try again");
            }
            return new RefreshResponse(id, SandboxViews.orZero(expires), SandboxViews.orZero(hardExpires));
        });
    }

    // ---- reads ---------------------------------------------------------------------------------------

    /** The sandbox if the caller's team owns it; another team's is as absent as a deleted one (404). */
    public SandboxRecord visible(Principal caller, String id) {
        return store.find(id)
                .filter(s -> s.teamId().equals(caller.teamId()) || caller.platform())
                .orElseThrow(() -> ApiException.notFound("sandbox not found"));
    }

    public SandboxStore.Page list(Principal caller, SandboxLifecycleStatus status, String templateId, Boolean paused,
            int limit, int offset) {
        return store.list(caller.teamId(), status, templateId, paused, limit, offset);
    }

    // ---- runtime access (contexts and files) -----------------------------------------------------------

    /** The running procd, resuming a paused sandbox first when its {@code auto_resume} allows (spec §2.5). */
    @Override
    public ProcdEndpoint procdFor(Principal caller, String id) {
        SandboxRecord record = visible(caller, id);
        if (record.status() == SandboxLifecycleStatus.RUNNING && record.nodeSandboxId() != null) {
            Optional<Run> run = runtimes.run(record.nodeSandboxId());
            if (run.isPresent()) {
                return run.get().procd();
            }
        }
        return switch (Lifecycle.decide(record.status(), new LifecycleCommand.UseRuntime())) {
            case Verdict.Proceed p -> throw ApiException.unavailable("sandbox runtime is not available");
            case Verdict.Conflict c -> throw ApiException.unavailable("sandbox is " + record.status().wire());
            case Verdict.AlreadyThere a -> throw new IllegalStateException("not a runtime verdict");
            case Verdict.NeedsResume n -> {
                if (!record.autoResume()) {
                    throw ApiException.unavailable("sandbox is not running and auto_resume is disabled");
                }
                yield autoResume(id);
            }
        };
    }

    private ProcdEndpoint autoResume(String id) {
        long deadline = System.nanoTime() + RESUME_BUDGET.toNanos();
        while (System.nanoTime() < deadline) {
            ProcdEndpoint endpoint = withSandbox(id, () -> {
                SandboxRecord record = store.find(id).orElseThrow(() -> ApiException.notFound("sandbox not found"));
                return switch (record.status()) {
                    case RUNNING -> runtimes.run(record.nodeSandboxId()).map(Run::procd)
                            .orElseThrow(() -> ApiException.unavailable("sandbox is waking up"));
                    case PAUSED -> runtimes.run(resumeLocked(record).nodeSandboxId()).map(Run::procd)
                            .orElseThrow(() -> ApiException.unavailable("sandbox is waking up"));
                    case PAUSING, RESUMING, STARTING -> null; // wait for the transition to settle
                    case TERMINATING -> throw ApiException.notFound("sandbox not found");
                    case FAILED -> throw ApiException.unavailable("sandbox is waking up");
                };
            });
            if (endpoint != null) {
                return endpoint;
            }
            sleep(Duration.ofMillis(100));
        }
        throw ApiException.unavailable("sandbox is waking up");
    }

    // ---- TTLs ----------------------------------------------------------------------------------------

    /** One pass of the TTL reaper: hard deadlines delete, soft deadlines pause. Safe to run concurrently. */
    public void reap() {
        Instant now = clock.instant();
        for (SandboxRecord due : store.expiredAt(now)) {
            try {
                withSandbox(due.id(), () -> {
                    SandboxRecord record = store.find(due.id()).orElse(null);
                    if (record == null) {
                        return null;
                    }
                    if (record.hardExpiresAt() != null && !now.isBefore(record.hardExpiresAt())) {
                        LOG.info("hard ttl expired: deleting");
                        deleteLocked(record);
                    } else if (record.expiresAt() != null && !now.isBefore(record.expiresAt())
                            && record.status() == SandboxLifecycleStatus.RUNNING) {
                        LOG.info("ttl expired: pausing");
                        beginPause(record);
                    }
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.warn("reaping {} failed: {}", due.id(), e.getMessage());
            }
        }
    }

    // ---- recovery ------------------------------------------------------------------------------------

    /**
     * After a restart: every sandbox the store has mid-transition or running is brought to a state that
     * matches the host. Runs still alive are adopted; a run that died is checkpointed from what it left
     * on disk (nothing written is lost) and paused; unfinished claims are removed.
     */
    public void recover() {
        for (SandboxRecord record : store.inStatus(List.of(SandboxLifecycleStatus.values()))) {
            try {
                withSandbox(record.id(), () -> {
                    recoverLocked(record);
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.error("recovering {} failed: {}", record.id(), e.getMessage());
            }
        }
    }

    private void recoverLocked(SandboxRecord record) {
        String nodeId = record.nodeSandboxId();
        boolean alive = nodeId != null && runtimes.alive(nodeId);
        Instant now = clock.instant();
        switch (record.status()) {
            case RUNNING -> {
                if (!alive && nodeId != null) {
                    store.update(record.withStatus(SandboxLifecycleStatus.PAUSING, null, now), record.status());
                    background.execute(() -> finishPause(record.id()));
                }
            }
            case PAUSING -> background.execute(() -> finishPause(record.id()));
            case RESUMING -> {
                if (alive) {
                    store.update(record.withRuntime(nodeId, record.runtimeGeneration() + 1, now)
                            .withStatus(SandboxLifecycleStatus.RUNNING, null, now), record.status());
                } else {
                    store.update(record.withRuntime(null, record.runtimeGeneration(), now)
                            .withStatus(SandboxLifecycleStatus.PAUSED, "resume interrupted by a restart", now), record.status());
                }
            }
            case STARTING -> {
                if (alive) {
                    store.update(record.withStatus(SandboxLifecycleStatus.RUNNING, null, now), record.status());
                } else {
                    store.delete(record.id()); // the claim never answered; nothing was stored in it yet
                }
            }
            case TERMINATING -> deleteLocked(record);
            case PAUSED, FAILED -> {
                if (nodeId != null && !alive) {
                    store.update(record.withRuntime(null, record.runtimeGeneration(), now), record.status());
                }
            }
        }
    }

    /** The node runs the store expects to still exist (for the node's reconcile at start). */
    public static Set<String> expectedRuns(SandboxStore store) {
        var runs = new HashSet<String>();
        for (SandboxRecord record : store.inStatus(List.of(SandboxLifecycleStatus.values()))) {
            if (record.nodeSandboxId() != null) {
                runs.add(record.nodeSandboxId());
            }
        }
        return runs;
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private <T> T withSandbox(String id, Supplier<T> action) {
        return locks.with(id, action);
    }

    private Integer effectiveTtl(SandboxConfig config) {
        return config.ttl() != null ? config.ttl() : (int) defaultTtl.toSeconds();
    }

    private Instant softDeadline(Integer ttl, Instant now) {
        int seconds = ttl != null ? ttl : (int) defaultTtl.toSeconds();
        return seconds > 0 ? now.plusSeconds(seconds) : null;
    }

    private static Instant hardDeadline(Integer hardTtl, Instant now) {
        return hardTtl != null && hardTtl > 0 ? now.plusSeconds(hardTtl) : null;
    }

    static String nodeId(String sandboxId, long generation) {
        return sandboxId + "-g" + generation;
    }

    private static SandboxConfig emptyConfig() {
        return new SandboxConfig(Map.of(), null, null, null, null, null, List.<SandboxAppService>of());
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(ErrorCode.UNAVAILABLE, "interrupted");
        }
    }
}
