package ai.sandbox0.server.sandbox;

import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.FAILED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RESUMING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RUNNING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.STARTING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.TERMINATING;

import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.sandbox.ClaimMountRequest;
import ai.sandbox0.api.sandbox.ClaimRequest;
import ai.sandbox0.api.sandbox.ClaimResponse;
import ai.sandbox0.api.sandbox.PauseSandboxResponse;
import ai.sandbox0.api.sandbox.RefreshResponse;
import ai.sandbox0.api.sandbox.ResumeSandboxResponse;
import ai.sandbox0.api.sandbox.Sandbox;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.sandbox.SandboxRefreshRequest;
import ai.sandbox0.api.sandbox.SandboxUpdateConfig;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.credential.CredentialBindings;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Forbidden;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException.NotFound;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import ai.sandbox0.server.network.NetworkPolicies;
import ai.sandbox0.server.network.NetworkRules;
import ai.sandbox0.server.procd.ProcdEndpoint;
import ai.sandbox0.server.sandbox.LifecycleCommand.Delete;
import ai.sandbox0.server.sandbox.LifecycleCommand.Pause;
import ai.sandbox0.server.sandbox.LifecycleCommand.Refresh;
import ai.sandbox0.server.sandbox.LifecycleCommand.Resume;
import ai.sandbox0.server.sandbox.LifecycleCommand.Update;
import ai.sandbox0.server.sandbox.LifecycleCommand.UseRuntime;
import ai.sandbox0.server.sandbox.SandboxHost.Run;
import ai.sandbox0.server.sandbox.SandboxHost.VolumeMount;
import ai.sandbox0.server.sandbox.SandboxRecord.Deadlines;
import ai.sandbox0.server.sandbox.SandboxRecord.Owner;
import ai.sandbox0.server.sandbox.SandboxRecord.TemplateRef;
import ai.sandbox0.server.sandbox.Verdict.AlreadyThere;
import ai.sandbox0.server.sandbox.Verdict.NeedsResume;
import ai.sandbox0.server.sandbox.Verdict.Proceed;
import ai.sandbox0.server.sandbox.Verdict.Refused;
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
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox lifecycle (spec §2): claim, pause (checkpoint then release the run), resume (a new run
 * generation from the checkpoint), update, refresh, delete, TTLs, auto-resume and recovery after a
 * crash. Every transition is decided by {@link Lifecycle}, taken under the sandbox's lock and written
 * with a compare-and-set on the status it was decided from; runs live on a {@link SandboxHost}.
 * Background work (a pause's checkpoint, a teardown that failed) is idempotent and resumes after a
 * crash from what the store says. Failures reach callers as {@code DomainException}s.
 */
public final class SandboxManager implements SandboxAccess {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxManager.class);
    /** How long a call on a paused sandbox waits for an auto-resume (spec §2.5). */
    private static final Duration RESUME_BUDGET = Duration.ofMinutes(2);
    /** Deletes whose teardown runs at once in the background; more wait their turn. */
    static final int CONCURRENT_TEARDOWNS = 2;
    private final java.util.concurrent.atomic.AtomicInteger pendingDeletes = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.Semaphore teardowns = new java.util.concurrent.Semaphore(CONCURRENT_TEARDOWNS);

    /** How long a sandbox whose teardown failed waits before the reaper tries again. */
    static final Duration TEARDOWN_RETRY = Duration.ofSeconds(30);
    /** How long a public request may reuse a sandbox's record read by an earlier one. */
    private static final Duration PUBLIC_VIEW_TTL = Duration.ofSeconds(1);
    private static final int MAX_PUBLIC_VIEWS = 10_000;

    private final SandboxStore store;
    private final java.util.concurrent.ConcurrentHashMap<String, PublicView> publicViews =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final QuotaGate quotas;
    private final TemplateCatalog templates;
    private final SnapshotStore snapshots;
    private final SandboxHost host;
    private final Clock clock;
    private final Duration defaultTtl;
    private final Executor background;
    private final SandboxIds ids;
    private final SandboxLocks locks;
    private final SandboxVolumes volumes;
    private final CredentialBindings credentials;
    private volatile Consumer<String> removed = id -> { };
    private volatile RunAssigned assigned = (run, sandbox, team) -> { };

    public SandboxManager(SandboxStore store, TemplateCatalog templates, SnapshotStore snapshots, SandboxHost host,
            SandboxLocks locks, SandboxIds ids, Clock clock, Duration defaultTtl, Executor background, QuotaGate quotas,
            SandboxVolumes volumes, CredentialBindings credentials) {
        this.volumes = volumes;
        this.credentials = credentials;
        this.quotas = quotas;
        this.store = store;
        this.templates = templates;
        this.snapshots = snapshots;
        this.host = host;
        this.locks = locks;
        this.ids = ids;
        this.clock = clock;
        this.defaultTtl = defaultTtl;
        this.background = background;
    }

    // ---- claim -------------------------------------------------------------------------------------

    /**
     * A new sandbox from a template (or a snapshot of one): recorded as {@link Lifecycle#FIRST}, served
     * by an idle run of the template's pool or a run started now, and answered once its procd is ready.
     * A claim with volumes holds them before its run starts (409 when another sandbox holds one writable)
     * and always starts cold: idle runs have no volumes. A claim that cannot start leaves nothing behind.
     */
    public ClaimResponse claim(Principal caller, ClaimRequest request) {
        if (request == null || request.template() == null || request.template().isBlank()) {
            throw new Invalid("template is required");
        }
        SandboxConfig config = ClaimRules.check(request.config() == null ? emptyConfig() : request.config());
        List<ClaimMountRequest> requested = ClaimRules.mounts(request.mounts());
        String templateId = request.template().strip().toLowerCase(Locale.ROOT);
        StoredTemplate template = templates.resolve(caller, templateId)
                .orElseThrow(() -> new NotFound("template " + templateId + " not found"));
        SandboxNetworkPolicy network = references(template.spec().network(), config.network(),
                "invalid claim request: network");
        List<VolumeMount> mounts = volumes.plan(caller.teamId(), template.templateId(), template.spec(), requested);
        Optional<SnapshotStore.Snapshot> snapshot = request.snapshotId() == null ? Optional.empty()
                : Optional.of(snapshots.findUsable(caller.teamId(), request.snapshotId(), clock.instant())
                        .orElseThrow(() -> new NotFound("snapshot " + request.snapshotId() + " not found")));
        LayerChain chain = snapshot.map(SnapshotStore.Snapshot::rootfs).orElseGet(() -> imageChain(template));

        Instant now = clock.instant();
        SandboxRecord record = SandboxRecord.claimed(ids.sandbox(), new Owner(caller.teamId(), caller.userId()),
                new TemplateRef(template.templateId(), template.scope(), template.spec()), config, chain,
                new Deadlines(softDeadline(config.ttl(), now), hardDeadline(config.hardTtl(), now)), now);
        quotas.admit(caller.teamId(), template.spec(), () -> {
            store.insert(record);
            return null;
        });
        return withSandbox(record.id(), () -> {
            Run run;
            try {
                credentials.bind(caller.teamId(), record.id(), network.credentialBindings());
                volumes.hold(record.id(), mounts);
                run = snapshot.isPresent() || !mounts.isEmpty() ? null
                        : host.claimWarm(NodeWarmPools.poolId(template), template.spec(), config).orElse(null);
                if (run != null) {
                    assigned.assigned(run.runId(), record.id(), caller.teamId());
                } else {
                    // Recorded before the start, so a crash mid-start can find (and adopt or remove) the run.
                    String runId = SandboxRecord.runId(record.id(), 1);
                    store.update(record.withRuntime(runId, 1, now), STARTING);
                    assigned.assigned(runId, record.id(), caller.teamId());
                    run = host.start(runId, template.spec(), config, chain, SandboxVolumes.inMountOrder(mounts));
                }
            } catch (HostFailure e) {
                removeRecord(record.id());
                // As upstream: a claim the data plane cannot serve now is worth retrying shortly.
                throw new Unavailable(e.getMessage(), e.retryAfter() == null ? Duration.ofSeconds(1) : e.retryAfter());
            } catch (RuntimeException e) {
                removeRecord(record.id());
                throw e;
            }
            Instant started = clock.instant();
            SandboxRecord running = record.withRuntime(run.runId(), 1, started).withStatus(RUNNING, null, started);
            if (!store.update(running, STARTING)) {
                destroyLater(run.runId()); // deleted while starting
                throw new NotFound("sandbox not found");
            }
            LOG.info("claimed from template {} ({})", template.templateId(), run.runId());
            return new ClaimResponse(record.id(), RUNNING, run.runId(), template.templateId(), null,
                    SandboxVolumes.bootstrap(mounts, started));
        });
    }

    private LayerChain imageChain(StoredTemplate template) {
        try {
            return host.imageChain(template.spec());
        } catch (HostFailure e) {
            throw new Unavailable(e.getMessage());
        }
    }

    // ---- pause and resume ----------------------------------------------------------------------------

    public PauseSandboxResponse pause(Principal caller, String id) {
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            return switch (Lifecycle.decide(record.status(), new Pause())) {
                case AlreadyThere a -> new PauseSandboxResponse(id, record.paused(), record.status(), null, null, null);
                case Refused r -> throw new Conflict(r.message());
                case Proceed p -> {
                    beginPause(record);
                    yield new PauseSandboxResponse(id, false, PAUSING, null, null, null);
                }
            };
        });
    }

    /** Marks the sandbox pausing and checkpoints it in the background. Caller holds the lock. */
    private void beginPause(SandboxRecord record) {
        Instant now = clock.instant();
        if (!store.update(record.withStatus(PAUSING, null, now), record.status())) {
            throw new Conflict("sandbox changed while pausing; try again");
        }
        background.execute(() -> finishPause(record.id()));
    }

    /**
     * The second half of a pause: checkpoint the run, store the new chain, release the run. Idempotent:
     * it acts only while the store says pausing, so a retry after a crash is safe. When the checkpoint
     * fails the sandbox is {@code failed} with the reason and keeps its run id: the run's changes stay on
     * the host, and the next resume saves them first.
     */
    void finishPause(String id) {
        withSandbox(id, () -> {
            SandboxRecord record = store.find(id).orElse(null);
            if (record == null || record.status() != PAUSING) {
                return null;
            }
            LayerChain chain = record.rootfs();
            try {
                if (record.nodeSandboxId() != null) {
                    chain = host.checkpoint(record.nodeSandboxId(), record.id());
                }
            } catch (HostFailure e) {
                LOG.error("checkpoint failed; the run's changes stay on the host until one succeeds: {}", e.getMessage());
                store.update(record.withStatus(FAILED, "checkpoint failed: " + e.getMessage(), clock.instant()), PAUSING);
                return null;
            }
            Instant now = clock.instant();
            store.update(record.withRootfs(chain, now).withRuntime(null, record.runtimeGeneration(), now)
                    .withStatus(PAUSED, null, now), PAUSING);
            LOG.info("paused ({} layers)", chain.depth());
            return null;
        });
    }

    public ResumeSandboxResponse resume(Principal caller, String id) {
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            return switch (Lifecycle.decide(record.status(), new Resume())) {
                case AlreadyThere a -> new ResumeSandboxResponse(id, true, null);
                case Refused r -> throw new Conflict(r.message());
                case Proceed p -> {
                    resumeLocked(record);
                    yield new ResumeSandboxResponse(id, true, null);
                }
            };
        });
    }

    /** Starts the next run generation from the stored chain. Caller holds the lock. */
    private SandboxRecord resumeLocked(SandboxRecord record) {
        if (record.hardExpiresAt() != null && !clock.instant().isBefore(record.hardExpiresAt())) {
            throw new NotFound("sandbox not found");
        }
        if (record.status() == FAILED && record.nodeSandboxId() != null) {
            record = saveFailedCheckpoint(record);
        }
        String runId = record.nextRunId();
        Instant now = clock.instant();
        SandboxRecord resuming = record.withRuntime(runId, record.runtimeGeneration(), now).withStatus(RESUMING, null, now);
        SandboxRecord from = record;
        if (!quotas.admit(record.teamId(), record.spec(), () -> store.update(resuming, from.status()))) {
            throw new Conflict("sandbox changed while resuming; try again");
        }
        assigned.assigned(runId, record.id(), record.teamId());
        Run run;
        try {
            // The volumes it held since its claim, mounted again.
            run = host.start(runId, record.spec(), record.config(), record.rootfs(), volumes.of(record.id()));
        } catch (HostFailure e) {
            Instant failed = clock.instant();
            store.update(record.withRuntime(null, record.runtimeGeneration(), failed)
                    .withStatus(PAUSED, "resume failed: " + e.getMessage(), failed), RESUMING);
            throw new Unavailable(e.getMessage(), e.retryAfter());
        }
        now = clock.instant();
        SandboxRecord running = resuming.withRuntime(run.runId(), record.runtimeGeneration() + 1, now)
                .withConfig(record.config(), softDeadline(effectiveTtl(record.config()), now), record.hardExpiresAt(), now)
                .withStatus(RUNNING, null, now);
        if (!store.update(running, RESUMING)) {
            destroyLater(run.runId());
            throw new NotFound("sandbox not found");
        }
        LOG.info("resumed as generation {}", running.runtimeGeneration());
        return running;
    }

    /**
     * A failed sandbox's last run still has changes no checkpoint holds: save them before anything
     * starts from the older chain. If that fails again the sandbox stays failed and the caller is told;
     * it never resumes from older state without saying so.
     */
    private SandboxRecord saveFailedCheckpoint(SandboxRecord record) {
        LayerChain chain;
        try {
            chain = host.checkpoint(record.nodeSandboxId(), record.id());
        } catch (HostFailure e) {
            store.update(record.withStatus(FAILED, "checkpoint failed: " + e.getMessage(), clock.instant()), FAILED);
            throw new Unavailable("the sandbox's last changes could not be saved, so it was not resumed: " + e.getMessage());
        }
        Instant now = clock.instant();
        SandboxRecord paused = record.withRootfs(chain, now).withRuntime(null, record.runtimeGeneration(), now)
                .withStatus(PAUSED, null, now);
        if (!store.update(paused, FAILED)) {
            throw new Conflict("sandbox changed while resuming; try again");
        }
        LOG.info("saved the checkpoint that had failed ({} layers)", chain.depth());
        return paused;
    }

    // ---- delete, update, refresh ----------------------------------------------------------------------

    /**
     * Deletes the sandbox. For its caller it is gone when this returns: recorded {@code terminating}, which the
     * API answers 404 for, and its processes killed. The run's teardown and the record's removal follow in the
     * background, {@value #CONCURRENT_TEARDOWNS} at a time; a crash before they end leaves a terminating record
     * that recovery finishes. Its credential bindings go at once. A sandbox holding volumes is torn down before this returns, so the next claim
     * of a volume it held writable never finds it still held.
     */
    public void delete(Principal caller, String id) {
        boolean later = withSandbox(id, () -> {
            SandboxRecord terminating = markTerminating(visible(caller, id));
            if (!volumes.of(id).isEmpty()) {
                deleteLocked(terminating);
                return false;
            }
            if (terminating.nodeSandboxId() != null) {
                try {
                    host.kill(terminating.nodeSandboxId());
                } catch (HostFailure e) {
                    LOG.warn("delete: the run's processes are removed with the run: {}", e.getMessage());
                }
            }
            // Nothing of it runs to use them: the sources it bound can be changed or deleted at once.
            credentials.release(id);
            return true;
        });
        if (later) {
            pendingDeletes.incrementAndGet();
            background.execute(() -> {
                try {
                    finishDelete(id);
                } finally {
                    pendingDeletes.decrementAndGet();
                }
            });
        }
    }

    /**
     * At a graceful stop: lets the deletes already answered finish their teardown, for at most {@code limit}, so
     * a server stopped after deleting everything leaves a clean host. What is left past it, recovery finishes.
     */
    public void awaitDeletes(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (pendingDeletes.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A delete's second half: the run torn down and the record removed, a few at a time. */
    private void finishDelete(String id) {
        try {
            teardowns.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // the reaper or the next start's recovery finishes it
        }
        try {
            onSandbox(id, record -> {
                if (record.status() == TERMINATING) {
                    deleteLocked(record);
                }
            });
        } finally {
            teardowns.release();
        }
    }

    private SandboxRecord markTerminating(SandboxRecord record) {
        return switch (Lifecycle.decide(record.status(), new Delete())) {
            case Proceed p -> {
                SandboxRecord terminating = record.withStatus(TERMINATING, null, clock.instant());
                if (!store.update(terminating, record.status())) {
                    throw new Conflict("sandbox changed while deleting; try again");
                }
                yield terminating;
            }
            case AlreadyThere a -> record; // an earlier delete did not finish: finish it
        };
    }

    /**
     * Marks the sandbox terminating, removes its run, then the record. A run the host cannot remove
     * keeps the sandbox {@code terminating}; the reaper tries again until nothing is left on the host.
     */
    private void deleteLocked(SandboxRecord record) {
        record = markTerminating(record);
        if (record.nodeSandboxId() != null) {
            try {
                host.destroy(record.nodeSandboxId());
            } catch (HostFailure e) {
                LOG.warn("delete: the run stays until a later try removes it: {}", e.getMessage());
                store.update(record.withStatus(TERMINATING, "teardown failed: " + e.getMessage(), clock.instant()),
                        TERMINATING);
                return;
            }
        }
        host.forget(record.id());
        removeRecord(record.id());
        locks.forget(record.id());
        LOG.info("deleted");
    }

    /**
     * Removes a sandbox from the store once nothing of it runs: its volume holds first, so a crash in between
     * leaves a record that recovery deletes again, never holds nobody owns.
     */
    private void removeRecord(String id) {
        volumes.release(id);
        credentials.release(id);
        store.delete(id);
        removed.accept(id);
    }

    /** Hears that a node run now serves a sandbox of a team. */
    @FunctionalInterface
    public interface RunAssigned {
        void assigned(String runId, String sandboxId, String teamId);
    }

    /**
     * Hears of each run as it becomes a sandbox's, before it starts (a warm run: as it is claimed), so that
     * the egress proxy knows whose its first connection is; replaces the one before.
     */
    public void onRunAssigned(RunAssigned listener) {
        this.assigned = listener;
    }

    /** Hears of every sandbox removed from the store (its id), once it is gone; replaces the one before. */
    public void onRemoved(Consumer<String> listener) {
        this.removed = listener;
    }

    public SandboxRecord update(Principal caller, String id, SandboxUpdateConfig update) {
        if (update == null) {
            throw new Invalid("config is required");
        }
        return update(caller, id, update, "invalid update request: ");
    }

    /**
     * Replaces the sandbox's services ({@code PUT …/services}, spec §7.2): {@code []} clears them. The exposure
     * router reads them from the store on every request, so the change is live at once.
     */
    public SandboxRecord updateServices(Principal caller, String id, List<SandboxAppService> services) {
        if (services == null) {
            throw new Invalid("services is required");
        }
        return update(caller, id, new SandboxUpdateConfig(null, null, null, null, null, services),
                "failed to update sandbox services: ");
    }

    private SandboxRecord update(Principal caller, String id, SandboxUpdateConfig update, String prefix) {
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            if (Lifecycle.decide(record.status(), new Update()) instanceof Refused r) {
                throw new Conflict(r.message());
            }
            SandboxConfig old = record.config();
            SandboxConfig requested = new SandboxConfig(
                    update.envVars() != null ? update.envVars() : old.envVars(),
                    update.ttl() != null ? update.ttl() : old.ttl(),
                    update.hardTtl() != null ? update.hardTtl() : old.hardTtl(),
                    update.network() != null ? update.network() : old.network(),
                    old.webhook(),
                    update.autoResume() != null ? update.autoResume() : old.autoResume(),
                    update.services() != null ? update.services() : old.services());
            SandboxConfig merged = ClaimRules.check(requested, prefix);
            SandboxNetworkPolicy effective = update.network() == null ? null
                    : references(record.spec().network(), merged.network(), "invalid update request: network");
            Instant now = clock.instant();
            Instant expires = update.ttl() != null ? softDeadline(update.ttl(), now) : record.expiresAt();
            Instant hardExpires = update.hardTtl() != null ? hardDeadline(update.hardTtl(), now) : record.hardExpiresAt();
            // The running procd first: if it refuses, nothing is stored and the caller can retry.
            if (update.envVars() != null && record.status() == RUNNING && record.nodeSandboxId() != null) {
                Optional<Run> run = host.run(record.nodeSandboxId());
                try {
                    run.ifPresent(r -> host.applyEnv(r, record.spec(), merged));
                } catch (HostFailure e) {
                    throw new Unavailable(e.getMessage());
                }
            }
            if (effective != null) {
                bindAndApply(record, effective);
            }
            SandboxRecord next = record.withConfig(merged, expires, hardExpires, now);
            if (!store.update(next, record.status())) {
                throw new Conflict("sandbox changed during the update; try again");
            }
            return next;
        });
    }

    // ---- network policy (spec §8) -------------------------------------------------------------------

    /** The policy in force: the template's with the sandbox's own on top; bindings left out when there are none. */
    public SandboxNetworkPolicy network(Principal caller, String id) {
        SandboxRecord record = visible(caller, id);
        return NetworkPolicies.view(effectiveNetwork(record));
    }

    /**
     * Replaces the sandbox's own policy and puts the effective one in force at once on a running sandbox (a paused
     * one gets it when it resumes). Without {@code credentialBindings} the sandbox keeps the bindings it had.
     */
    public SandboxNetworkPolicy updateNetwork(Principal caller, String id, SandboxNetworkPolicy policy) {
        if (policy == null) {
            throw new Invalid("a network policy is required as the body");
        }
        NetworkRules.shape(policy, "");
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            if (Lifecycle.decide(record.status(), new Update()) instanceof Refused r) {
                throw new Conflict(r.message());
            }
            SandboxConfig old = record.config();
            SandboxNetworkPolicy request = policy.credentialBindings() == null && old.network() != null
                    ? new SandboxNetworkPolicy(policy.mode(), policy.egress(), old.network().credentialBindings())
                    : policy;
            SandboxNetworkPolicy effective = references(record.spec().network(), request, "");
            bindAndApply(record, effective);
            SandboxConfig next = new SandboxConfig(old.envVars(), old.ttl(), old.hardTtl(), request, old.webhook(),
                    old.autoResume(), old.services());
            if (!store.update(record.withConfig(next, record.expiresAt(), record.hardExpiresAt(), clock.instant()),
                    record.status())) {
                throw new Conflict("sandbox changed during the update; try again");
            }
            LOG.info("network policy updated: {}", effective.mode().wire());
            return NetworkPolicies.view(effective);
        });
    }

    /** The effective policy of a template's and a sandbox's, once its cross references hold. */
    private static SandboxNetworkPolicy references(SandboxNetworkPolicy template, SandboxNetworkPolicy request,
            String prefix) {
        SandboxNetworkPolicy effective = NetworkPolicies.effective(template, request);
        NetworkRules.references(effective, prefix);
        return effective;
    }

    /**
     * Pins the policy's credential bindings (a 400 for a source the team does not have), then puts the policy in
     * force on the running run; a paused sandbox gets it when it resumes. When the run refuses it, the bindings
     * go back to what they were.
     */
    private void bindAndApply(SandboxRecord record, SandboxNetworkPolicy effective) {
        credentials.bind(record.teamId(), record.id(), effective.credentialBindings());
        if (record.status() != RUNNING || record.nodeSandboxId() == null) {
            return;
        }
        Optional<Run> run = host.run(record.nodeSandboxId());
        try {
            run.ifPresent(r -> host.applyNetwork(r, effective));
        } catch (HostFailure e) {
            credentials.bind(record.teamId(), record.id(), effectiveNetwork(record).credentialBindings());
            throw new Unavailable(e.getMessage());
        }
    }

    /** The policy in force for a stored sandbox: its template's with its own on top. */
    static SandboxNetworkPolicy effectiveNetwork(SandboxRecord record) {
        return NetworkPolicies.effective(record.spec().network(), record.config().network());
    }

    /** Pins a new sandbox's credential bindings (a fork's, which copies its source's policy). */
    void bindCredentials(SandboxRecord record) {
        credentials.bind(record.teamId(), record.id(), effectiveNetwork(record).credentialBindings());
    }

    public RefreshResponse refresh(Principal caller, String id, SandboxRefreshRequest request) {
        Integer duration = request == null ? null : request.duration();
        if (duration != null && duration < 0) {
            throw new Invalid("duration must be >= 0");
        }
        return withSandbox(id, () -> {
            SandboxRecord record = visible(caller, id);
            if (Lifecycle.decide(record.status(), new Refresh()) instanceof Refused r) {
                throw new Conflict(r.message());
            }
            Instant now = clock.instant();
            Integer ttl = duration != null && duration > 0 ? duration : effectiveTtl(record.config());
            Integer hardTtl = record.config().hardTtl();
            if (ttl != null && ttl > 0 && hardTtl != null && hardTtl > 0 && ttl > hardTtl) {
                throw new Invalid("refresh duration " + ttl + " exceeds hard_ttl " + hardTtl);
            }
            Instant expires = softDeadline(ttl, now);
            Instant hardExpires = hardDeadline(hardTtl, now);
            SandboxRecord next = record.withConfig(record.config(), expires, hardExpires, now);
            if (!store.update(next, record.status())) {
                throw new Conflict("sandbox changed during the refresh; try again");
            }
            return new RefreshResponse(id, SandboxViews.orZero(expires), SandboxViews.orZero(hardExpires));
        });
    }

    // ---- reads ---------------------------------------------------------------------------------------

    /** The caller's sandbox; another team's is 403 and an unknown one 404, as upstream answers. */
    public SandboxRecord visible(Principal caller, String id) {
        // A terminating sandbox was deleted: what is left of it is the host's business.
        SandboxRecord record = store.find(id).filter(r -> r.status() != TERMINATING)
                .orElseThrow(() -> new NotFound("sandbox not found"));
        if (!record.teamId().equals(caller.teamId()) && !caller.systemAdmin()) {
            throw new Forbidden("sandbox belongs to a different team");
        }
        return record;
    }

    /** The sandbox as {@code GET /sandboxes/{id}} shows it, its volume mounts included. */
    public Sandbox detail(SandboxRecord record) {
        return SandboxViews.detail(record, volumes.shown(record.id()));
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
        if (record.status() == RUNNING && record.nodeSandboxId() != null) {
            Optional<Run> run = host.run(record.nodeSandboxId());
            if (run.isPresent()) {
                return run.get().procd();
            }
        }
        return switch (Lifecycle.decide(record.status(), new UseRuntime())) {
            case Proceed p -> throw new Unavailable("sandbox runtime is not available");
            case Refused r -> throw new Unavailable("sandbox is " + record.status().wire());
            case NeedsResume n -> {
                if (!record.autoResume()) {
                    throw new Unavailable("sandbox is not running and auto_resume is disabled");
                }
                yield autoResume(id);
            }
        };
    }

    /**
     * A sandbox by id for traffic with no caller (public services): empty when unknown or being deleted. Public
     * requests come far more often than sandboxes change, so a record read here is reused for up to
     * {@link #PUBLIC_VIEW_TTL}; every change made under the sandbox's lock drops it at once.
     */
    public Optional<SandboxRecord> find(String id) {
        long now = System.nanoTime();
        PublicView cached = publicViews.get(id);
        if (cached != null && now - cached.readAt() < PUBLIC_VIEW_TTL.toNanos()) {
            return Optional.of(cached.record());
        }
        Optional<SandboxRecord> found = store.find(id).filter(r -> r.status() != SandboxLifecycleStatus.TERMINATING);
        if (found.isPresent()) {
            if (publicViews.size() >= MAX_PUBLIC_VIEWS) {
                publicViews.clear(); // a burst over many sandboxes: start again rather than grow
            }
            publicViews.put(id, new PublicView(found.get(), now));
        } else {
            publicViews.remove(id);
        }
        return found;
    }

    private record PublicView(SandboxRecord record, long readAt) {
    }

    /** The procd of the run serving the sandbox now, if one is. */
    public Optional<ProcdEndpoint> running(SandboxRecord record) {
        if (record.status() != RUNNING || record.nodeSandboxId() == null) {
            return Optional.empty();
        }
        return host.run(record.nodeSandboxId()).map(Run::procd);
    }

    /**
     * Resumes a sandbox for a public request the router has already admitted (its {@code auto_resume} and the
     * route's {@code resume} allow it), waiting for a pause or resume under way to settle.
     */
    public ProcdEndpoint wake(String id) {
        return autoResume(id);
    }

    private ProcdEndpoint autoResume(String id) {
        long deadline = System.nanoTime() + RESUME_BUDGET.toNanos();
        while (System.nanoTime() < deadline) {
            ProcdEndpoint endpoint = withSandbox(id, () -> {
                SandboxRecord record = store.find(id).orElseThrow(() -> new NotFound("sandbox not found"));
                return switch (record.status()) {
                    case RUNNING -> host.run(record.nodeSandboxId()).map(Run::procd)
                            .orElseThrow(() -> new Unavailable("sandbox is waking up"));
                    case PAUSED, FAILED -> host.run(resumeLocked(record).nodeSandboxId()).map(Run::procd)
                            .orElseThrow(() -> new Unavailable("sandbox is waking up"));
                    case PAUSING, RESUMING, STARTING -> null; // wait for the transition to settle
                    case TERMINATING -> throw new NotFound("sandbox not found");
                };
            });
            if (endpoint != null) {
                return endpoint;
            }
            sleep(Duration.ofMillis(100));
        }
        throw new Unavailable("sandbox is waking up");
    }

    // ---- TTLs and retries ------------------------------------------------------------------------------

    /**
     * One pass of the reaper: hard deadlines delete, soft deadlines pause, and deletes whose teardown
     * failed are tried again. Safe to run concurrently.
     */
    public void reap() {
        Instant now = clock.instant();
        for (SandboxRecord due : store.expiredAt(now)) {
            onSandbox(due.id(), record -> {
                if (record.hardExpiresAt() != null && !now.isBefore(record.hardExpiresAt())) {
                    LOG.info("hard ttl expired: deleting");
                    deleteLocked(record);
                } else if (record.expiresAt() != null && !now.isBefore(record.expiresAt()) && record.status() == RUNNING) {
                    LOG.info("ttl expired: pausing");
                    beginPause(record);
                }
            });
        }
        for (SandboxRecord stuck : store.inStatus(List.of(TERMINATING))) {
            if (stuck.updatedAt().isBefore(now.minus(TEARDOWN_RETRY))) {
                onSandbox(stuck.id(), record -> {
                    if (record.status() == TERMINATING) {
                        deleteLocked(record);
                    }
                });
            }
        }
    }

    /** Runs {@code action} on the stored sandbox under its lock; a failure is logged, not thrown. */
    private void onSandbox(String id, Consumer<SandboxRecord> action) {
        try {
            withSandbox(id, () -> {
                store.find(id).ifPresent(action);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("background work on {} failed: {}", id, e.getMessage());
        }
    }

    // ---- recovery ------------------------------------------------------------------------------------

    /**
     * After a restart: every sandbox the store has mid-transition or running is brought to a state that
     * matches the host. Runs still alive are adopted; a run that died is checkpointed from what it left
     * on the host (nothing written is lost) and paused; unfinished claims are removed; unfinished
     * deletes are finished.
     */
    public void recover() {
        for (SandboxRecord record : store.inStatus(List.of(SandboxLifecycleStatus.values()))) {
            onSandbox(record.id(), this::recoverLocked);
        }
    }

    private void recoverLocked(SandboxRecord record) {
        String runId = record.nodeSandboxId();
        boolean alive = runId != null && host.alive(runId);
        Instant now = clock.instant();
        switch (record.status()) {
            case RUNNING -> {
                if (!alive && runId != null) {
                    store.update(record.withStatus(PAUSING, null, now), RUNNING);
                    background.execute(() -> finishPause(record.id()));
                }
            }
            case PAUSING -> background.execute(() -> finishPause(record.id()));
            case RESUMING -> {
                if (alive) {
                    store.update(record.withRuntime(runId, record.runtimeGeneration() + 1, now)
                            .withStatus(RUNNING, null, now), RESUMING);
                } else {
                    // The start never answered, so nobody wrote to that run: its leftovers can go.
                    destroyLater(runId);
                    store.update(record.withRuntime(null, record.runtimeGeneration(), now)
                            .withStatus(PAUSED, "resume interrupted by a restart", now), RESUMING);
                }
            }
            case STARTING -> {
                if (alive) {
                    store.update(record.withStatus(RUNNING, null, now), STARTING);
                } else {
                    if (runId != null) {
                        destroyLater(runId);
                    }
                    removeRecord(record.id()); // the claim never answered; nothing was stored in it yet
                }
            }
            case TERMINATING -> deleteLocked(record);
            case PAUSED -> {
                if (runId != null && !alive) {
                    store.update(record.withRuntime(null, record.runtimeGeneration(), now), PAUSED);
                }
            }
            case FAILED -> {
                // Keeps its run id: that run's changes wait on the host for the checkpoint a resume retries.
            }
        }
    }

    /** The host runs the store expects to still exist (for the node's reconcile at start). */
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
        return locks.with(id, () -> {
            try {
                return action.get();
            } finally {
                publicViews.remove(id);
            }
        });
    }

    /** Removes a run no record points at any more; a failure leaves it to the node's reconcile at restart. */
    private void destroyLater(String runId) {
        background.execute(() -> {
            try {
                host.destroy(runId);
            } catch (HostFailure e) {
                LOG.warn("run {} not removed; the node's next reconcile removes it: {}", runId, e.getMessage());
            }
        });
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

    private static SandboxConfig emptyConfig() {
        return new SandboxConfig(Map.of(), null, null, null, null, null, List.<SandboxAppService>of());
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        }
    }
}
