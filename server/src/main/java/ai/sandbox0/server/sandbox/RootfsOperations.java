package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.snapshot.CreateSandboxRootfsSnapshotRequest;
import ai.sandbox0.api.snapshot.ForkSandboxResponse;
import ai.sandbox0.api.snapshot.RestoreSandboxRootfsResponse;
import ai.sandbox0.api.snapshot.SandboxRootfsSnapshot;
import ai.sandbox0.api.snapshot.SandboxRootfsSnapshotList;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException.NotFound;
import java.time.Clock;
import java.time.Instant;

/**
 * Snapshot, restore and fork of a paused sandbox's rootfs (spec §4). All three are pointer moves over a
 * layer chain: a snapshot names the chain, a restore points the sandbox at a snapshot's chain, a fork
 * is a new paused sandbox sharing the chain. Layers are immutable, so nothing is copied.
 */
public final class RootfsOperations {

    private final SandboxManager sandboxes;
    private final SandboxStore store;
    private final SnapshotStore snapshots;
    private final SandboxLocks locks;
    private final SandboxIds ids;
    private final Clock clock;

    public RootfsOperations(SandboxManager sandboxes, SandboxStore store, SnapshotStore snapshots, SandboxLocks locks,
            SandboxIds ids, Clock clock) {
        this.sandboxes = sandboxes;
        this.store = store;
        this.snapshots = snapshots;
        this.locks = locks;
        this.ids = ids;
        this.clock = clock;
    }

    public SandboxRootfsSnapshot snapshot(Principal caller, String sandboxId, CreateSandboxRootfsSnapshotRequest request) {
        Instant now = clock.instant();
        Instant expires = request == null || request.expiresAt() == null || request.expiresAt().equals(SandboxViews.ZERO)
                ? null : request.expiresAt();
        if (expires != null && !expires.isAfter(now)) {
            throw new Invalid("expires_at must be in the future");
        }
        return locks.with(sandboxId, () -> {
            SandboxRecord source = pausedSource(caller, sandboxId);
            var snapshot = new SnapshotStore.Snapshot(ids.rootfsSnapshot(), source.teamId(), source.id(), source.rootfs(),
                    request == null ? null : request.name(), request == null ? null : request.description(), expires, now);
            snapshots.insert(snapshot);
            return SandboxViews.snapshot(snapshot);
        });
    }

    public SandboxRootfsSnapshotList list(Principal caller, String sandboxId) {
        SandboxRecord source = sandboxes.visible(caller, sandboxId);
        var list = snapshots.ofSandbox(source.teamId(), source.id()).stream().map(SandboxViews::snapshot).toList();
        return new SandboxRootfsSnapshotList(list, list.size());
    }

    public SandboxRootfsSnapshot get(Principal caller, String snapshotId) {
        return snapshots.find(caller.teamId(), snapshotId).map(SandboxViews::snapshot)
                .orElseThrow(() -> new NotFound("snapshot " + snapshotId + " not found"));
    }

    /** Not idempotent, as upstream: a second delete is a 404. */
    public void delete(Principal caller, String snapshotId) {
        if (!snapshots.delete(caller.teamId(), snapshotId)) {
            throw new NotFound("snapshot " + snapshotId + " not found");
        }
    }

    public RestoreSandboxRootfsResponse restore(Principal caller, String sandboxId, String snapshotId) {
        if (snapshotId == null || snapshotId.isBlank()) {
            throw new Invalid("snapshot_id is required");
        }
        return locks.with(sandboxId, () -> {
            SandboxRecord target = pausedSource(caller, sandboxId);
            SnapshotStore.Snapshot snapshot = snapshots.findUsable(target.teamId(), snapshotId, clock.instant())
                    .orElseThrow(() -> new NotFound("snapshot " + snapshotId + " not found"));
            if (!store.update(target.withRootfs(snapshot.rootfs(), clock.instant()), SandboxLifecycleStatus.PAUSED)) {
                throw new Conflict("sandbox changed during the restore; try again");
            }
            return new RestoreSandboxRootfsResponse(sandboxId, snapshotId, SandboxLifecycleStatus.PAUSED);
        });
    }

    /**
     * A new paused sandbox with the source's template, configuration and rootfs; TTL deadlines start now. Like
     * upstream's, it mounts none of the source's volumes: an RWO volume has one writer, and a fork that took the
     * source's volumes along would share them without asking.
     */
    public ForkSandboxResponse fork(Principal caller, String sandboxId) {
        return locks.with(sandboxId, () -> {
            SandboxRecord source = pausedSource(caller, sandboxId);
            Instant now = clock.instant();
            Integer ttl = source.config().ttl();
            Integer hardTtl = source.config().hardTtl();
            Instant expires = ttl != null && ttl > 0 ? now.plusSeconds(ttl) : source.expiresAt();
            Instant hardExpires = hardTtl != null && hardTtl > 0 ? now.plusSeconds(hardTtl) : source.hardExpiresAt();
            var fork = SandboxRecord.forkOf(source, ids.sandbox(), new SandboxRecord.Owner(caller.teamId(), caller.userId()),
                    new SandboxRecord.Deadlines(expires, hardExpires), now);
            sandboxes.bindCredentials(fork);
            store.insert(fork);
            return new ForkSandboxResponse(source.id(), SandboxViews.detail(fork, null));
        });
    }

    private SandboxRecord pausedSource(Principal caller, String sandboxId) {
        SandboxRecord record = sandboxes.visible(caller, sandboxId);
        if (Lifecycle.decide(record.status(), new LifecycleCommand.RootfsOperation()) instanceof Verdict.Refused r) {
            throw new Conflict(r.message());
        }
        return record;
    }
}
