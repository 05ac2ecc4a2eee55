package ai.sandbox0.server.volume;

import ai.sandbox0.api.volume.CreateSandboxVolumeRequest;
import ai.sandbox0.api.volume.CreateSnapshotRequest;
import ai.sandbox0.api.volume.ForkVolumeRequest;
import ai.sandbox0.api.volume.SandboxVolume;
import ai.sandbox0.api.volume.Snapshot;
import ai.sandbox0.api.volume.VolumeAccessMode;
import ai.sandbox0.node.volume.VolumeBusyException;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.node.volume.VolumeWatcher;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException.NotFound;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Volumes and their snapshots (spec §1.2, §3): the store says what exists, the node's {@link VolumePool} holds
 * the data. Every change is crash-safe in the same shape: the row is written first in a transitional state
 * ({@code creating}, {@code deleting}), then the pool acts, then the row settles; {@link #recover()} undoes an
 * interrupted create and finishes an interrupted delete at startup (the pool's operations are idempotent).
 * Callers only ever see ready volumes and snapshots; another team's are as absent as missing ones.
 */
public final class VolumeService {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeService.class);
    /** The highest uid and gid Linux gives out ((uid_t) -1 means "no change"). */
    static final long MAX_POSIX_ID = 0xFFFF_FFFEL;
    private static final int MAX_NAME = 255;
    private static final int MAX_DESCRIPTION = 4096;
    static final String DELETE_HINT = "retry with force=true to remove orphan mount records";

    private final VolumeStore volumes;
    private final VolumeSnapshotStore snapshots;
    private final VolumeMounts mounts;
    private final VolumePool pool;
    private final VolumeQuota quota;
    private final VolumeLocks locks;
    private final Clock clock;
    private final VolumeDurability durability;
    private final VolumeWatcher watcher;

    /** Volumes kept on this node only (tests of the service itself). */
    public VolumeService(VolumeStore volumes, VolumeSnapshotStore snapshots, VolumeMounts mounts, VolumePool pool,
            ai.sandbox0.server.tenancy.QuotaStore quotas, Clock clock, java.time.Duration lockWait) {
        this(volumes, snapshots, mounts, pool, quotas, clock, lockWait, VolumeDurability.NODE_ONLY);
    }

    public VolumeService(VolumeStore volumes, VolumeSnapshotStore snapshots, VolumeMounts mounts, VolumePool pool,
            ai.sandbox0.server.tenancy.QuotaStore quotas, Clock clock, java.time.Duration lockWait,
            VolumeDurability durability) {
        this(volumes, snapshots, mounts, pool, quotas, clock, lockWait, durability, null);
    }

    /** @param watcher the file watches of volumes, told of restores and deletes (null: none) */
    public VolumeService(VolumeStore volumes, VolumeSnapshotStore snapshots, VolumeMounts mounts, VolumePool pool,
            ai.sandbox0.server.tenancy.QuotaStore quotas, Clock clock, java.time.Duration lockWait,
            VolumeDurability durability, VolumeWatcher watcher) {
        this.watcher = watcher;
        this.durability = durability;
        this.volumes = volumes;
        this.snapshots = snapshots;
        this.mounts = mounts;
        this.pool = pool;
        this.quota = new VolumeQuota(quotas, volumes, snapshots, pool);
        this.locks = new VolumeLocks(lockWait);
        this.clock = clock;
    }

    /** Undoes the creates and finishes the deletes a crash interrupted; what fails is logged and retried next start. */
    public void recover() {
        for (VolumeRecord volume : volumes.unsettled()) {
            try {
                switch (volume.state()) {
                    case CREATING -> {
                        pool.deleteVolume(volume.id());
                        volumes.delete(volume.id());
                        LOG.info("volume {}: undid a create a stop interrupted", volume.id());
                    }
                    case DELETING -> {
                        finishDelete(volume.id());
                        LOG.info("volume {}: finished a delete a stop interrupted", volume.id());
                    }
                    case READY -> {
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("volume {}: cannot settle its {} state: {}", volume.id(), volume.state(), e.getMessage());
            }
        }
        for (VolumeSnapshotRecord snapshot : snapshots.unsettled()) {
            try {
                pool.deleteSnapshot(snapshot.id());
                snapshots.delete(snapshot.id());
                LOG.info("volume snapshot {}: removed after a stop interrupted its {}", snapshot.id(),
                        snapshot.state() == VolumeSnapshotRecord.State.CREATING ? "create" : "delete");
            } catch (IOException | RuntimeException e) {
                LOG.warn("volume snapshot {}: cannot settle its {} state: {}", snapshot.id(), snapshot.state(),
                        e.getMessage());
            }
        }
        // What the node lost (a new node, a lost pool) comes back from its last seal.
        List<VolumeRecord> ready = volumes.allReady();
        List<VolumeSnapshotRecord> readySnapshots = snapshots.allReady();
        for (VolumeSnapshotRecord snapshot : readySnapshots) {
            try {
                if (!pool.snapshotExists(snapshot.id())) {
                    durability.rebuildSnapshot(snapshot);
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("volume snapshot {}: cannot rebuild it from the object store: {}", snapshot.id(), e.getMessage());
            }
        }
        for (VolumeRecord volume : ready) {
            try {
                if (!pool.exists(volume.id()) && durability.rebuildVolume(volume)) {
                    quota.bound(volume.id(), volume.teamId());
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("volume {}: cannot rebuild it from the object store: {}", volume.id(), e.getMessage());
            }
        }
        durability.recovered(ready, readySnapshots);
    }

    /** A deleted sandbox held the volume writable: what it wrote last is sealed now. */
    public void letGo(String volumeId) {
        durability.letGo(volumeId);
    }

    /** Where volumes go beyond this node. */
    VolumeDurability durability() {
        return durability;
    }

    public SandboxVolume create(Principal caller, CreateSandboxVolumeRequest request) throws IOException {
        VolumeAccessMode mode = request.accessMode() == null ? VolumeAccessMode.RWO : request.accessMode();
        PosixIds ids = PosixIds.of(request.defaultPosixUid(), request.defaultPosixGid()).orElse(PosixIds.ROOT);
        String team = caller.teamId();
        String snapshotId = request.snapshotId();
        if (snapshotId == null) {
            VolumeRecord made = make(caller, null, ids, mode, id -> pool.create(id, ids.uid(), ids.gid()));
            durability.created(made.id(), Optional.empty(), Optional.empty());
            LOG.info("volume {} created", made.id());
            return made.view();
        }
        if (snapshotId.isBlank()) {
            throw new Invalid("snapshot_id must not be blank");
        }
        VolumeSnapshotRecord found = readySnapshot(team, snapshotId);
        // The snapshot's volume is locked so the snapshot cannot be deleted under the copy.
        VolumeRecord made = locks.with(found.volumeId(), () -> {
            VolumeSnapshotRecord snapshot = readySnapshot(team, snapshotId);
            quota.requireVolumeRoom(team, snapshot.sizeBytes(), "a volume from this snapshot");
            // The new volume's owner is the request's (root by default), not the snapshot's.
            return make(caller, snapshot.volumeId(), ids, mode, id -> {
                pool.createFromSnapshot(snapshot.id(), id);
                pool.setOwner(id, ids.uid(), ids.gid());
            });
        });
        durability.created(made.id(), Optional.of(snapshotId), Optional.empty());
        LOG.info("volume {} created from snapshot {}", made.id(), snapshotId);
        return made.view();
    }

    public List<SandboxVolume> list(Principal caller) {
        return volumes.list(caller.teamId()).stream().map(VolumeRecord::view).toList();
    }

    public SandboxVolume get(Principal caller, String id) {
        return ready(caller, id).view();
    }

    /**
     * Deletes the volume with its snapshots. A missing id is already deleted (200), another team's is a 404. Mount
     * rows (sandboxes holding it) refuse the delete with 409; {@code force} drops them as orphans first, unless a
     * sandbox on this node really has the volume mounted.
     */
    public void delete(Principal caller, String id, boolean force) throws IOException {
        if (!VolumeIds.valid(id)) {
            return;
        }
        Optional<VolumeRecord> any = volumes.findAnyTeam(id);
        if (any.isEmpty()) {
            return;
        }
        if (!any.get().teamId().equals(caller.teamId())) {
            throw notFound(id);
        }
        locks.with(id, () -> {
            VolumeRecord volume = volumes.find(caller.teamId(), id).orElse(null);
            if (volume == null) {
                return null;
            }
            if (volume.state() == VolumeRecord.State.CREATING) {
                throw new Conflict("volume is still being created; try again");
            }
            List<VolumeMounts.Mount> held = mounts.ofVolume(id);
            if (!held.isEmpty() && !force) {
                throw new Conflict("volume has active mounts", activeMounts(held, DELETE_HINT));
            }
            if (pool.mounted(id)) {
                throw new Conflict("volume has active mounts: a running sandbox has it mounted; delete the sandbox first",
                        activeMounts(held, "delete the sandboxes that mount it first"));
            }
            if (!held.isEmpty()) {
                mounts.releaseVolume(id);
                LOG.info("volume {}: dropped {} orphan mount records (force)", id, held.size());
            }
            volumes.setState(id, VolumeRecord.State.DELETING, clock.instant());
            try {
                durability.exclusive(id, () -> {
                    finishDelete(id);
                    durability.deleted(id);
                    return null;
                });
                if (watcher != null) {
                    watcher.volumeGone(id, "the volume was deleted");
                }
            } catch (VolumeBusyException e) {
                // A sandbox mounted it in between: the volume stays as it was.
                volumes.setState(id, VolumeRecord.State.READY, clock.instant());
                throw new Conflict("volume has active mounts: " + e.getMessage(),
                        activeMounts(mounts.ofVolume(id), DELETE_HINT));
            }
            return null;
        });
        locks.forget(id);
        LOG.info("volume {} deleted", id);
    }

    /** A writable copy of the source's current state; RWO unless asked otherwise, POSIX ids inherited unless given. */
    public SandboxVolume fork(Principal caller, String sourceId, ForkVolumeRequest request) throws IOException {
        VolumeAccessMode mode = request == null || request.accessMode() == null ? VolumeAccessMode.RWO
                : request.accessMode();
        Optional<PosixIds> given = request == null ? Optional.empty()
                : PosixIds.of(request.defaultPosixUid(), request.defaultPosixGid());
        ready(caller, sourceId);
        VolumeRecord made = locks.with(sourceId, () -> {
            VolumeRecord source = ready(caller, sourceId);
            PosixIds ids = given.orElse(new PosixIds(source.defaultPosixUid(), source.defaultPosixGid()));
            quota.requireVolumeRoom(caller.teamId(), quota.bytesOf(source), "this fork");
            return make(caller, source.id(), ids, mode, id -> {
                pool.fork(source.id(), id);
                if (given.isPresent()) {
                    pool.setOwner(id, ids.uid(), ids.gid());
                }
            });
        });
        durability.created(made.id(), Optional.empty(), Optional.of(sourceId));
        LOG.info("volume {} forked from {}", made.id(), sourceId);
        return made.view();
    }

    public Snapshot createSnapshot(Principal caller, String volumeId, CreateSnapshotRequest request) throws IOException {
        String name = request.name() == null ? "" : request.name().strip();
        if (name.isEmpty()) {
            throw new Invalid("name is required");
        }
        if (name.length() > MAX_NAME) {
            throw new Invalid("name is longer than " + MAX_NAME + " characters");
        }
        if (request.description() != null && request.description().length() > MAX_DESCRIPTION) {
            throw new Invalid("description is longer than " + MAX_DESCRIPTION + " characters");
        }
        ready(caller, volumeId);
        String team = caller.teamId();
        VolumeSnapshotRecord made = locks.with(volumeId, () -> {
            VolumeRecord volume = ready(caller, volumeId);
            // What the snapshot will hold is what the volume holds now; only measured when it is limited.
            long expected = quota.limitsSnapshots(team) ? quota.bytesOf(volume) : 0;
            var record = new VolumeSnapshotRecord(VolumeIds.next(), volume.id(), team, name, request.description(),
                    VolumeSnapshotRecord.State.CREATING, expected, clock.instant().truncatedTo(ChronoUnit.SECONDS), null);
            quota.admitSnapshot(team, expected, () -> {
                snapshots.insert(record);
                return null;
            });
            long size;
            Instant takenAt = Instant.now(); // wall time, as files' modification times are
            try {
                size = onPool(() -> {
                    pool.snapshot(volume.id(), record.id());
                    // Measured now only when a limit needs it; the snapshot's seal records it otherwise.
                    return quota.limitsSnapshots(team) ? pool.snapshotFiles(record.id()).logicalBytes() : 0;
                });
            } catch (IOException | RuntimeException e) {
                undoSnapshot(record.id(), e);
                throw e;
            }
            snapshots.ready(record.id(), size);
            durability.snapshotTaken(volume.id(), record.id(), takenAt);
            return record.ready(size);
        });
        LOG.info("volume {}: snapshot {} created ({} bytes)", volumeId, made.id(), made.sizeBytes());
        return made.view();
    }

    public List<Snapshot> snapshots(Principal caller, String volumeId) {
        VolumeRecord volume = ready(caller, volumeId);
        return snapshots.ofVolume(volume.id()).stream().map(VolumeSnapshotRecord::view).toList();
    }

    public Snapshot snapshot(Principal caller, String volumeId, String snapshotId) {
        VolumeRecord volume = ready(caller, volumeId);
        return snapshotOf(volume, snapshotId).view();
    }

    /** Replaces the volume's content by the snapshot's; the snapshot stays and can be restored again. */
    public void restore(Principal caller, String volumeId, String snapshotId) throws IOException {
        VolumeRecord found = ready(caller, volumeId);
        snapshotOf(found, snapshotId);
        locks.with(volumeId, () -> {
            VolumeRecord volume = ready(caller, volumeId);
            VolumeSnapshotRecord snapshot = snapshotOf(volume, snapshotId);
            try {
                durability.exclusive(volume.id(), () -> onPool(() -> {
                    pool.restore(volume.id(), snapshot.id());
                    durability.restored(volume.id(), snapshot.id());
                    return null;
                }));
                if (watcher != null) {
                    watcher.invalidate(volume.id()); // watches of the old tree are dead: subscribers re-read
                }
            } catch (VolumeBusyException e) {
                throw new Conflict("volume is mounted by a running sandbox; it cannot be restored until that sandbox"
                        + " stops or pauses");
            } finally {
                quota.changed(volume.id());
            }
            volumes.touch(volume.id(), clock.instant());
            return null;
        });
        LOG.info("volume {}: restored snapshot {}", volumeId, snapshotId);
    }

    /**
     * Idempotent, as upstream: a missing snapshot, one of another volume, or a missing volume answer 200 too.
     * Another team's volume is a 404.
     */
    public void deleteSnapshot(Principal caller, String volumeId, String snapshotId) throws IOException {
        if (!VolumeIds.valid(volumeId)) {
            return;
        }
        Optional<VolumeRecord> volume = volumes.findAnyTeam(volumeId);
        if (volume.isEmpty()) {
            return;
        }
        if (!volume.get().teamId().equals(caller.teamId())) {
            throw notFound(volumeId);
        }
        if (!VolumeIds.valid(snapshotId)) {
            return;
        }
        boolean deleted = locks.with(volumeId, () -> {
            Optional<VolumeSnapshotRecord> snapshot = snapshots.find(caller.teamId(), snapshotId)
                    .filter(s -> s.volumeId().equals(volumeId) && s.state() != VolumeSnapshotRecord.State.CREATING);
            if (snapshot.isEmpty()) {
                return false;
            }
            snapshots.setState(snapshotId, VolumeSnapshotRecord.State.DELETING);
            pool.deleteSnapshot(snapshotId);
            snapshots.delete(snapshotId);
            return true;
        });
        if (deleted) {
            LOG.info("volume {}: snapshot {} deleted", volumeId, snapshotId);
        }
    }

    /** What the team's volumes hold (logically), in whole GB rounded up, as {@code volume_storage_gb} counts. */
    public long volumeStorageGb(String teamId) throws IOException {
        return VolumeQuota.roundedUp(quota.volumeUsage(teamId));
    }

    /** What the team's volume snapshots hold, in whole GB rounded up, as {@code snapshot_storage_gb} counts. */
    public long snapshotStorageGb(String teamId) {
        return VolumeQuota.roundedUp(snapshots.bytesOf(teamId));
    }

    /** The team's volume limit changed: the node's bound of each of its volumes follows. */
    public void volumeLimitChanged(String teamId) {
        quota.rebound(teamId);
    }

    /** The caller's ready volume for a file watch: its id and where the node keeps it. */
    public VolumeWatchEndpoint.WatchedVolume watched(Principal caller, String id) {
        VolumeRecord volume = ready(caller, id);
        return new VolumeWatchEndpoint.WatchedVolume(volume.id(), pool.root(volume.id()));
    }

    /** The caller's ready volume; 404 for a malformed id, a missing volume or another team's. */
    VolumeRecord ready(Principal caller, String id) {
        if (!VolumeIds.valid(id)) {
            throw notFound(id);
        }
        return volumes.findReady(caller.teamId(), id).orElseThrow(() -> notFound(id));
    }

    VolumeQuota quota() {
        return quota;
    }

    VolumePool pool() {
        return pool;
    }

    /** Runs {@code work} under the volume's lock (file operations that must not overlap a restore or delete). */
    <T> T locked(String volumeId, VolumeLocks.Work<T> work) throws IOException {
        return locks.with(volumeId, work);
    }

    /**
     * Runs a pool operation on something the store says exists. A subvolume that is missing (or in the way) then
     * means the node's storage and the store disagree: a 503 naming what is wrong, never the host's paths.
     */
    static <T> T onPool(VolumeLocks.Work<T> call) throws IOException {
        try {
            return call.run();
        } catch (NoSuchFileException | FileAlreadyExistsException e) {
            throw new Unavailable("the node's volume storage does not match the store: " + (e.getReason() == null
                    ? "a subvolume is missing or in the way" : e.getReason()));
        }
    }

    /** A new volume: its row (creating), its subvolume made by {@code step}, its node bound, then ready. */
    private VolumeRecord make(Principal caller, String sourceVolumeId, PosixIds ids, VolumeAccessMode mode,
            PoolStep step) throws IOException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        var record = new VolumeRecord(VolumeIds.next(), caller.teamId(), caller.userId(), sourceVolumeId, ids.uid(),
                ids.gid(), mode, VolumeRecord.State.CREATING, 0, now, now);
        volumes.insert(record);
        try {
            onPool(() -> {
                step.make(record.id());
                quota.bound(record.id(), record.teamId());
                return null;
            });
        } catch (IOException | RuntimeException e) {
            try {
                pool.deleteVolume(record.id());
                volumes.delete(record.id());
            } catch (IOException | RuntimeException undo) {
                e.addSuppressed(undo); // the row stays creating: the next start removes both
            }
            throw e;
        }
        volumes.setState(record.id(), VolumeRecord.State.READY, now);
        return record.withState(VolumeRecord.State.READY, now);
    }

    /** The pool's part of a delete: the volume, then its snapshots, then the row. Each step is idempotent. */
    private void finishDelete(String id) throws IOException {
        pool.deleteVolume(id);
        for (VolumeSnapshotRecord snapshot : snapshots.allOfVolume(id)) {
            snapshots.setState(snapshot.id(), VolumeSnapshotRecord.State.DELETING);
            pool.deleteSnapshot(snapshot.id());
            snapshots.delete(snapshot.id());
        }
        volumes.delete(id);
        quota.changed(id);
    }

    private void undoSnapshot(String id, Exception cause) {
        try {
            pool.deleteSnapshot(id);
            snapshots.delete(id);
        } catch (IOException | RuntimeException undo) {
            cause.addSuppressed(undo); // the row stays creating: the next start removes both
        }
    }

    private VolumeSnapshotRecord readySnapshot(String teamId, String snapshotId) {
        if (!VolumeIds.valid(snapshotId)) {
            throw snapshotNotFound(snapshotId);
        }
        return snapshots.findReady(teamId, snapshotId).orElseThrow(() -> snapshotNotFound(snapshotId));
    }

    /** The volume's ready snapshot; one of another volume is as missing as none. */
    private VolumeSnapshotRecord snapshotOf(VolumeRecord volume, String snapshotId) {
        VolumeSnapshotRecord snapshot = readySnapshot(volume.teamId(), snapshotId);
        if (!snapshot.volumeId().equals(volume.id())) {
            throw snapshotNotFound(snapshotId);
        }
        return snapshot;
    }

    private static Map<String, Object> activeMounts(List<VolumeMounts.Mount> held, String hint) {
        var details = new LinkedHashMap<String, Object>();
        details.put("active_mounts", held.size());
        details.put("mounts", held.stream().map(m -> {
            var mount = new LinkedHashMap<String, Object>();
            mount.put("sandbox_id", m.sandboxId());
            mount.put("mount_point", m.mountPoint());
            mount.put("read_only", m.readOnly());
            mount.put("mounted_at", m.createdAt().toString());
            return mount;
        }).toList());
        details.put("hint", hint);
        return details;
    }

    static NotFound notFound(String id) {
        return new NotFound("sandbox volume " + echo(id) + " not found");
    }

    private static NotFound snapshotNotFound(String id) {
        return new NotFound("snapshot " + echo(id) + " not found");
    }

    /** A path segment quoted back is cut: it can be kilobytes. */
    private static String echo(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "…";
    }

    /** The step of {@link #make} that makes the subvolume. */
    @FunctionalInterface
    private interface PoolStep {
        void make(String newVolumeId) throws IOException;
    }

    /** A volume's default owner: both given, or neither (then {@link #ROOT} or the source's). */
    record PosixIds(long uid, long gid) {

        static final PosixIds ROOT = new PosixIds(0, 0);

        static Optional<PosixIds> of(Long uid, Long gid) {
            if (uid == null && gid == null) {
                return Optional.empty();
            }
            if (uid == null || gid == null) {
                throw new Invalid("default_posix_uid and default_posix_gid must be set together");
            }
            if (uid < 0 || gid < 0 || uid > MAX_POSIX_ID || gid > MAX_POSIX_ID) {
                throw new Invalid("default_posix_uid and default_posix_gid must be between 0 and " + MAX_POSIX_ID);
            }
            return Optional.of(new PosixIds(uid, gid));
        }
    }
}
