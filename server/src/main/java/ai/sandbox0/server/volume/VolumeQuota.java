package ai.sandbox0.server.volume;

import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.domain.DomainException.QuotaExceeded;
import ai.sandbox0.server.tenancy.QuotaStore;
import java.io.IOException;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A team's {@code volume_storage_gb} and {@code snapshot_storage_gb} (spec §8.4): GB are 10^9 bytes, usage is
 * what the team's volumes (snapshots) hold logically, and a change is let in only if usage plus what it adds
 * stays within the limit, else 429 {@code quota_exceeded}. Usage is only measured for teams with a limit. A
 * volume's size is kept between API writes; one a sandbox holds is measured again each time, since the
 * sandbox writes behind the API's back. The node also bounds each volume at the team's limit, so a sandbox
 * cannot write past it either.
 */
final class VolumeQuota {

    static final long GB = 1_000_000_000L;
    /** What a volume's directories, links and small files take in the file system's own records, about. */
    static final long METADATA_ROOM = 16L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(VolumeQuota.class);

    private final QuotaStore quotas;
    private final VolumeStore volumes;
    private final VolumeSnapshotStore snapshots;
    private final VolumePool pool;
    private final Map<String, Long> volumeBytes = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> teamLocks = new ConcurrentHashMap<>();

    VolumeQuota(QuotaStore quotas, VolumeStore volumes, VolumeSnapshotStore snapshots, VolumePool pool) {
        this.quotas = quotas;
        this.volumes = volumes;
        this.snapshots = snapshots;
        this.pool = pool;
    }

    /** The team's limit in bytes, or empty when it has none. */
    OptionalLong limitBytes(String teamId, QuotaDimension dimension) {
        return quotas.limit(teamId, dimension).map(gb -> OptionalLong.of(gb > Long.MAX_VALUE / GB ? Long.MAX_VALUE
                : gb * GB)).orElse(OptionalLong.empty());
    }

    /** 429 unless the team's volumes may hold {@code additional} bytes more; {@code what} names the change. */
    void requireVolumeRoom(String teamId, long additional, String what) throws IOException {
        OptionalLong limit = limitBytes(teamId, QuotaDimension.VOLUME_STORAGE_GB);
        if (limit.isPresent()) {
            refuseOver(QuotaDimension.VOLUME_STORAGE_GB, limit.getAsLong(), volumeUsage(teamId), additional, what);
        }
    }

    /** How many bytes the team's volumes may still take on; {@link Long#MAX_VALUE} without a limit. */
    long volumeAllowance(String teamId) throws IOException {
        OptionalLong limit = limitBytes(teamId, QuotaDimension.VOLUME_STORAGE_GB);
        return limit.isEmpty() ? Long.MAX_VALUE : Math.max(0, limit.getAsLong() - volumeUsage(teamId));
    }

    /** The 429 of a write that went past {@link #volumeAllowance} while it streamed. */
    QuotaExceeded volumeExceeded(String teamId, String what) {
        long limit = quotas.limit(teamId, QuotaDimension.VOLUME_STORAGE_GB).orElse(0L);
        return new QuotaExceeded("quota exceeded: " + QuotaDimension.VOLUME_STORAGE_GB.wire() + " limit " + limit
                + " GB; " + what + " would take the team's volumes past it");
    }

    /**
     * Runs {@code insert} (the row of a snapshot about to be made, counted at its expected size) if the team's
     * snapshots may hold {@code additional} bytes more. Check and insert run under the team's lock, so two
     * snapshots cannot both take the last room.
     */
    <T> T admitSnapshot(String teamId, long additional, VolumeLocks.Work<T> insert) throws IOException {
        ReentrantLock lock = teamLocks.computeIfAbsent(teamId, t -> new ReentrantLock());
        lock.lock();
        try {
            OptionalLong limit = limitBytes(teamId, QuotaDimension.SNAPSHOT_STORAGE_GB);
            if (limit.isPresent()) {
                refuseOver(QuotaDimension.SNAPSHOT_STORAGE_GB, limit.getAsLong(), snapshots.bytesOf(teamId), additional,
                        "this snapshot");
            }
            return insert.run();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the team has a snapshot limit (only then is a volume measured before its snapshot). */
    boolean limitsSnapshots(String teamId) {
        return quotas.limit(teamId, QuotaDimension.SNAPSHOT_STORAGE_GB).isPresent();
    }

    /** What the volume holds logically now (kept until {@link #changed}, unless a sandbox holds the volume). */
    long bytesOf(VolumeRecord volume, boolean held) throws IOException {
        Long known = held ? null : volumeBytes.get(volume.id());
        if (known != null) {
            return known;
        }
        long bytes = VolumeService.onPool(() -> pool.files(volume.id()).logicalBytes());
        if (!held) {
            volumeBytes.put(volume.id(), bytes);
        }
        return bytes;
    }

    long bytesOf(VolumeRecord volume) throws IOException {
        return bytesOf(volume, volumes.heldBySandboxes(volume.teamId()).contains(volume.id()));
    }

    /** The volume's content changed through the API (or it is gone): measure it again next time. */
    void changed(String volumeId) {
        volumeBytes.remove(volumeId);
    }

    /**
     * Bounds a new volume on the node at its team's limit. A fork or a volume from a snapshot comes with its
     * source's bound; when the team has no limit (any more), that one is lifted.
     */
    void bound(String volumeId, String teamId) throws IOException {
        OptionalLong limit = limitBytes(teamId, QuotaDimension.VOLUME_STORAGE_GB);
        if (limit.isPresent() || pool.limitOf(volumeId).isPresent()) {
            pool.limit(volumeId, nodeBound(limit));
        }
    }

    /**
     * The node's bound for a team limit: the limit plus room for the file system's own records, which the node
     * counts too (without it, a volume at a limit of 0 GB could not take even an empty file or a directory,
     * which the quota allows).
     */
    static OptionalLong nodeBound(OptionalLong limit) {
        return limit.isPresent() ? OptionalLong.of(saturatingAdd(limit.getAsLong(), METADATA_ROOM)) : limit;
    }

    /** The team's volume limit changed: every volume of the team gets the new bound (or none). */
    void rebound(String teamId) {
        OptionalLong limit = limitBytes(teamId, QuotaDimension.VOLUME_STORAGE_GB);
        for (VolumeRecord volume : volumes.list(teamId)) {
            try {
                pool.limit(volume.id(), nodeBound(limit));
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot bound volume {} at the team's new limit: {}", volume.id(), e.getMessage());
            }
        }
    }

    long volumeUsage(String teamId) throws IOException {
        Set<String> held = volumes.heldBySandboxes(teamId);
        long total = 0;
        for (VolumeRecord volume : volumes.list(teamId)) {
            total = saturatingAdd(total, bytesOf(volume, held.contains(volume.id())));
        }
        return total;
    }

    private static void refuseOver(QuotaDimension dimension, long limitBytes, long used, long additional, String what) {
        if (additional > 0 && saturatingAdd(used, additional) > limitBytes) {
            throw new QuotaExceeded("quota exceeded: " + dimension.wire() + " limit " + limitBytes / GB + " GB, in use "
                    + roundedUp(used) + " GB (" + used + " bytes); " + what + " adds " + additional + " bytes");
        }
    }

    /** Usage as the quota counts it: whole GB, rounded up. */
    static long roundedUp(long bytes) {
        return bytes / GB + (bytes % GB == 0 ? 0 : 1);
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }
}
