package ai.sandbox0.node.volume;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's volumes: one btrfs filesystem (a sparse image on a loop device under {@code dir}) with a
 * subvolume per volume ({@code vols/<id>}) and a read-only subvolume per snapshot ({@code snaps/<id>}).
 * Fork and snapshot are subvolume snapshots through ioctls, so they cost the same for any size; restore
 * swaps subvolumes atomically ({@code RENAME_EXCHANGE}); each volume may carry a simple-quota limit.
 *
 * <p>Ids are the caller's (UUIDs); every operation is idempotent where the spec makes it so and survives
 * {@code kill -9} at any point ({@link #open} finishes or undoes what a crash interrupted). Thread-safe;
 * operations on one volume are serialised.
 *
 * <p>A volume's owner (for {@link #files}) and limit live in {@code trusted.} xattrs of its root, which
 * nothing in a sandbox's user namespace can read or change and which every snapshot of it carries, so a
 * fork gets its parent's without a second write (and its limit in the snapshot ioctl itself). A new empty
 * volume is made under {@code <id>.tmp} and renamed into place when complete; names with a dot are never
 * ids, so whatever {@link #open} finds with one is a crash's leftover.
 */
public final class VolumePool implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VolumePool.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final String OWNER = "trusted.sandbox0.owner";
    private static final String LIMIT = "trusted.sandbox0.limit";
    private static final String MAKING = ".tmp";
    private static final String RESTORING = ".restoring";
    /** Below this share of free space, a delete commits at once so the cleaner can return the space. */
    private static final double TIGHT = 0.10;
    /** Highest id a {@code chown} takes; {@code (uid_t) -1} means "unchanged". */
    private static final long MAX_ID = 0xFFFF_FFFEL;
    private static final int STRIPES = 64;
    /** Simple quotas arrived in 6.7. */
    private static final int[] MIN_KERNEL = {6, 7};

    private final PoolDisk disk;
    private final Path vols;
    private final Path snaps;
    /** Operations lock the stripes of the ids they touch, in index order: no deadlock, bounded memory. */
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private volatile boolean closed;

    private VolumePool(PoolDisk disk) {
        this.disk = disk;
        this.vols = disk.mount().resolve("vols");
        this.snaps = disk.mount().resolve("snaps");
        Arrays.setAll(stripes, i -> new ReentrantLock());
    }

    /** Attaches the pool in {@code dir}, making it the first time; {@code maxBytes} is the image's sparse size. */
    public static VolumePool open(Path dir, long maxBytes) throws IOException {
        probe();
        PoolDisk disk = PoolDisk.attach(dir, maxBytes);
        try {
            Btrfs.enableSimpleQuotas(disk.mount());
            var pool = new VolumePool(disk);
            for (Path d : List.of(pool.vols, pool.snaps)) {
                Files.createDirectories(d);
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
            }
            pool.removeLeftovers();
            pool.reapplyLimits();
            return pool;
        } catch (IOException | RuntimeException e) {
            try {
                disk.detach();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Throws, naming every missing piece, unless this host can run the pool: root, a kernel with btrfs and
     * simple quotas (6.7+), loop devices, {@code mkfs.btrfs} and {@code losetup}.
     */
    public static void probe() throws IOException {
        var missing = new ArrayList<String>();
        String status = Files.readString(Path.of("/proc/self/status"));
        if (!status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ? ?").split("\\s+")[2].equals("0")) {
            missing.add("root (loop devices, mounts and btrfs ioctls need it)");
        }
        String release = System.getProperty("os.version", "0.0");
        if (!atLeast(release, MIN_KERNEL)) {
            missing.add("Linux 6.7 or newer for btrfs simple quotas (this is " + release + ")");
        }
        if (!btrfsInKernel()) {
            missing.add("btrfs in the kernel (modprobe btrfs)");
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            missing.add("loop devices (/dev/loop-control; modprobe loop)");
        }
        if (onPath("mkfs.btrfs").isEmpty()) {
            missing.add("mkfs.btrfs (apt-get install btrfs-progs)");
        }
        for (String tool : List.of("losetup", "mount", "umount")) {
            if (onPath(tool).isEmpty()) {
                missing.add(tool + " (apt-get install mount)");
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException("volumes need btrfs on a loop device; this host lacks: " + String.join("; ", missing));
        }
    }

    /** A new empty volume whose root belongs to {@code uid:gid}. Fails with FileAlreadyExistsException if it exists. */
    public void create(String volumeId, long uid, long gid) throws IOException {
        checkOwner(uid, gid);
        try (var _ = lock(volumeKey(volumeId))) {
            requireAbsent(volume(volumeId));
            String making = volumeId + MAKING;
            destroy(vols, making);
            Btrfs.createSubvolume(vols, making);
            Btrfs.chown(vols.resolve(making), uid, gid);
            Btrfs.setXattr(vols.resolve(making), OWNER, uid + ":" + gid);
            publish(vols, making, volumeId);
        }
    }

    /** A writable copy-on-write copy of the volume's current state (flushed first). NoSuchFileException if no source. */
    public void fork(String sourceVolumeId, String newVolumeId) throws IOException {
        try (var _ = lock(volumeKey(sourceVolumeId), volumeKey(newVolumeId))) {
            Path source = requirePresent(volume(sourceVolumeId), "volume " + sourceVolumeId);
            requireAbsent(volume(newVolumeId));
            // Flushed outside the snapshot, which would otherwise write all of it back inside its commit.
            Btrfs.syncfs(source);
            copy(source, newVolumeId);
        }
    }

    /** A read-only snapshot of the volume's current state (flushed first). */
    public void snapshot(String volumeId, String snapshotId) throws IOException {
        try (var _ = lock(volumeKey(volumeId), snapshotKey(snapshotId))) {
            Path source = requirePresent(volume(volumeId), "volume " + volumeId);
            requireAbsent(snapshotPath(snapshotId));
            // Flushed outside the snapshot, which would otherwise write all of it back inside its commit.
            Btrfs.syncfs(source);
            // One ioctl: after a crash the snapshot is there whole or not at all.
            Btrfs.snapshot(source, snaps, snapshotId, true);
        }
    }

    /** A new writable volume holding the snapshot's state (and the limit its volume had when it was taken). */
    public void createFromSnapshot(String snapshotId, String newVolumeId) throws IOException {
        try (var _ = lock(snapshotKey(snapshotId), volumeKey(newVolumeId))) {
            Path source = requirePresent(snapshotPath(snapshotId), "snapshot " + snapshotId);
            requireAbsent(volume(newVolumeId));
            copy(source, newVolumeId);
        }
    }

    /**
     * A writable snapshot of {@code source} as the volume {@code id}, bounded by the limit its root records. One
     * ioctl, which also sets the limit: after a crash the volume is there whole or not at all.
     */
    private void copy(Path source, String id) throws IOException {
        Btrfs.snapshot(source, vols, id, false, recordedLimit(source));
    }

    /** Replaces the volume's state by the snapshot's; {@link VolumeBusyException} while it is mounted. */
    public void restore(String volumeId, String snapshotId) throws IOException {
        try (var _ = lock(volumeKey(volumeId), snapshotKey(snapshotId))) {
            Path current = requirePresent(volume(volumeId), "volume " + volumeId);
            Path snapshot = requirePresent(snapshotPath(snapshotId), "snapshot " + snapshotId);
            requireUnmounted(volumeId, "restored");
            String restoring = volumeId + RESTORING;
            destroy(vols, restoring);
            Btrfs.snapshot(snapshot, vols, restoring, false, recordedLimit(current));
            // The volume keeps its own owner and limit, whatever they were when the snapshot was taken.
            Path next = vols.resolve(restoring);
            for (String record : List.of(OWNER, LIMIT)) {
                String kept = Btrfs.getXattr(current, record).orElse("");
                if (!kept.equals(Btrfs.getXattr(next, record).orElse(""))) {
                    Btrfs.setXattr(next, record, kept);
                }
            }
            // From here the old state is under the .restoring name: a crash leaves it to open() to delete.
            Btrfs.exchange(vols, restoring, volumeId);
            destroy(vols, restoring);
        }
        reclaimIfTight();
    }

    /** Removes the volume; {@link VolumeBusyException} while mounted; an unknown id is already gone. */
    public void deleteVolume(String volumeId) throws IOException {
        try (var _ = lock(volumeKey(volumeId))) {
            if (!Files.exists(volume(volumeId), LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            requireUnmounted(volumeId, "deleted");
            destroy(vols, volumeId);
        }
        reclaimIfTight();
    }

    /** Removes the snapshot; an unknown id is already gone. */
    public void deleteSnapshot(String snapshotId) throws IOException {
        try (var _ = lock(snapshotKey(snapshotId))) {
            destroy(snaps, snapshotId);
        }
        reclaimIfTight();
    }

    public boolean exists(String volumeId) {
        return valid(volumeId) && Files.isDirectory(vols.resolve(volumeId), LinkOption.NOFOLLOW_LINKS);
    }

    public boolean snapshotExists(String snapshotId) {
        return valid(snapshotId) && Files.isDirectory(snaps.resolve(snapshotId), LinkOption.NOFOLLOW_LINKS);
    }

    /** Bounds what the volume may hold on the node (writes past it fail with EDQUOT); empty removes the bound. */
    public void limit(String volumeId, OptionalLong bytes) throws IOException {
        if (bytes.isPresent() && bytes.getAsLong() <= 0) {
            throw new IllegalArgumentException("a volume limit must be positive: " + bytes.getAsLong());
        }
        try (var _ = lock(volumeKey(volumeId))) {
            Path root = requirePresent(volume(volumeId), "volume " + volumeId);
            unbounded(root, () -> Btrfs.setXattr(root, LIMIT, bytes.isPresent() ? Long.toString(bytes.getAsLong()) : ""));
        }
    }

    /** The volume's bound as {@link #limit} last set it (forks and restores keep it); empty if unbounded. */
    public OptionalLong limitOf(String volumeId) throws IOException {
        return recordedLimit(requirePresent(volume(volumeId), "volume " + volumeId));
    }

    /**
     * Makes {@code uid:gid} the volume's owner: of its root and of what {@link #files} makes. For a fork or a
     * volume from a snapshot that is given owner ids of its own instead of its source's.
     */
    public void setOwner(String volumeId, long uid, long gid) throws IOException {
        checkOwner(uid, gid);
        try (var _ = lock(volumeKey(volumeId))) {
            Path root = requirePresent(volume(volumeId), "volume " + volumeId);
            unbounded(root, () -> {
                Btrfs.chown(root, uid, gid);
                Btrfs.setXattr(root, OWNER, uid + ":" + gid);
            });
        }
    }

    /** Whether some mount (a sandbox's) shows the volume now. */
    public boolean mounted(String volumeId) {
        String dir = "/vols/" + checkId(volumeId);
        try {
            return MountInfo.read(MountInfo.SELF).stream()
                    .anyMatch(m -> m.device().equals(disk.number()) && m.type().equals("btrfs") && m.shows(dir));
        } catch (IOException e) {
            // Unreadable mount table: safer to call it mounted than to delete under a sandbox.
            log.warn("cannot read {}: {}", MountInfo.SELF, e.getMessage());
            return true;
        }
    }

    /** The volume's files, every path confined to it. NoSuchFileException for an unknown volume. */
    public VolumeFiles files(String volumeId) throws IOException {
        Path root = requirePresent(volume(volumeId), "volume " + volumeId);
        long[] owner = owner(root);
        return VolumeFiles.at(root, owner[0], owner[1], false);
    }

    /** The snapshot's files, read-only. */
    public VolumeFiles snapshotFiles(String snapshotId) throws IOException {
        Path root = requirePresent(snapshotPath(snapshotId), "snapshot " + snapshotId);
        long[] owner = owner(root);
        return VolumeFiles.at(root, owner[0], owner[1], true);
    }

    /** Where the volume's subvolume is on the host: for the node's own mounts only, never resolved by path. */
    public Path root(String volumeId) {
        return volume(volumeId);
    }

    /** Where the snapshot's read-only subvolume is on the host, for the node's own use (sealing, mounts). */
    public Path snapshotRoot(String snapshotId) {
        return snapshotPath(snapshotId);
    }

    /** Unmounts the pool and frees its loop device, after the operations under way. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (ReentrantLock stripe : stripes) {
            stripe.lock();
        }
        try {
            if (closed) {
                return;
            }
            closed = true;
            disk.detach();
        } catch (IOException e) {
            log.warn("volume pool {} not detached: {}", disk.mount(), e.getMessage());
        } finally {
            for (ReentrantLock stripe : stripes) {
                stripe.unlock();
            }
        }
    }

    // -- what the operations share

    /** Deletes what a crash left half-made ({@code .tmp}) or half-swapped ({@code .restoring}): both sides are disposable. */
    private void removeLeftovers() throws IOException {
        for (Path parent : List.of(vols, snaps)) {
            List<String> leftovers;
            try (Stream<Path> entries = Files.list(parent)) {
                leftovers = entries.map(p -> p.getFileName().toString()).filter(n -> !valid(n)).toList();
            }
            for (String name : leftovers) {
                log.info("removing {} left by an interrupted operation", parent.resolve(name));
                destroy(parent, name);
            }
        }
    }

    /** Renames a finished subvolume to its id; the caller holds the id's lock and saw it absent. */
    private static void publish(Path parent, String making, String id) throws IOException {
        Files.move(parent.resolve(making), parent.resolve(id), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes the subvolume {@code name} of {@code parent} and any a sandbox made inside it; absent is done. */
    private void destroy(Path parent, String name) throws IOException {
        Path subvolume = parent.resolve(name);
        if (!Files.exists(subvolume, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Btrfs.destroySubvolume(parent, name);
        } catch (NoSuchFileException gone) {
            // already deleted
        } catch (DirectoryNotEmptyException nested) {
            for (Path inner : nestedSubvolumes(subvolume)) {
                destroy(inner.getParent(), inner.getFileName().toString());
            }
            Btrfs.destroySubvolume(parent, name);
        }
    }

    /** Subvolumes inside {@code root} (a sandbox may make its own), outermost only; their roots have inode 256. */
    private static List<Path> nestedSubvolumes(Path root) throws IOException {
        var found = new ArrayList<Path>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(root) && (long) Files.getAttribute(dir, "unix:ino", LinkOption.NOFOLLOW_LINKS) == 256L) {
                    found.add(dir);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return found;
    }

    /**
     * Space a delete frees returns at the next transaction commit (every 30 s by default); when the pool is
     * nearly full, commit now rather than let writes fail until then.
     */
    private void reclaimIfTight() throws IOException {
        FileStore store = Files.getFileStore(disk.mount());
        if (store.getUsableSpace() < store.getTotalSpace() * TIGHT) {
            Btrfs.syncfs(disk.mount());
        }
    }

    /**
     * Runs {@code change} to the root's records with the volume's limit lifted: a full volume has no room
     * even for the metadata of an xattr or a chown, and its limit must stay changeable. The recorded limit
     * applies again after it (and at the next {@link #open} if the process dies in between).
     */
    private static void unbounded(Path root, RootChange change) throws IOException {
        Btrfs.limit(root, OptionalLong.empty());
        try {
            change.run();
        } finally {
            applyLimit(root);
        }
    }

    private interface RootChange {
        void run() throws IOException;
    }

    /** Sets every volume's limit from its record again: a process that died in {@link #unbounded} left one lifted. */
    private void reapplyLimits() throws IOException {
        List<Path> volumes;
        try (Stream<Path> entries = Files.list(vols)) {
            volumes = entries.filter(p -> valid(p.getFileName().toString())).toList();
        }
        for (Path root : volumes) {
            applyLimit(root);
        }
    }

    private static void applyLimit(Path root) throws IOException {
        OptionalLong limit = recordedLimit(root);
        if (limit.isPresent()) {
            Btrfs.limit(root, limit);
        }
    }

    private static OptionalLong recordedLimit(Path root) throws IOException {
        String value = Btrfs.getXattr(root, LIMIT).orElse("");
        return value.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(value));
    }

    /** {@code uid, gid} from the root's record, else (a root made elsewhere) the root's owner. */
    private static long[] owner(Path root) throws IOException {
        String value = Btrfs.getXattr(root, OWNER).orElse("");
        int colon = value.indexOf(':');
        if (colon > 0) {
            return new long[] {Long.parseLong(value.substring(0, colon)), Long.parseLong(value.substring(colon + 1))};
        }
        return new long[] {((Number) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue(),
                ((Number) Files.getAttribute(root, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue()};
    }

    private void requireUnmounted(String volumeId, String what) throws VolumeBusyException {
        if (mounted(volumeId)) {
            throw new VolumeBusyException("volume " + volumeId + " is mounted in a sandbox and cannot be " + what + " now");
        }
    }

    private static Path requirePresent(Path path, String what) throws NoSuchFileException {
        if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(path.toString(), null, what + " not found");
        }
        return path;
    }

    private static void requireAbsent(Path path) throws FileAlreadyExistsException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(path.toString(), null, path.getFileName() + " already exists");
        }
    }

    private Path volume(String id) {
        ensureOpen();
        return vols.resolve(checkId(id));
    }

    private Path snapshotPath(String id) {
        ensureOpen();
        return snaps.resolve(checkId(id));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the volume pool at " + disk.mount() + " is closed");
        }
    }

    private static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** Ids become path names: only letters, digits and dashes, so none can name another place. */
    private static String checkId(String id) {
        if (!valid(id)) {
            throw new IllegalArgumentException("not a volume or snapshot id (1-64 letters, digits, dashes): " + id);
        }
        return id;
    }

    private static void checkOwner(long uid, long gid) {
        if (uid < 0 || gid < 0 || uid > MAX_ID || gid > MAX_ID) {
            throw new IllegalArgumentException("owner ids must be 0.." + MAX_ID + ": " + uid + ":" + gid);
        }
    }

    private static String volumeKey(String id) {
        return "volume " + checkId(id);
    }

    private static String snapshotKey(String id) {
        return "snapshot " + checkId(id);
    }

    /** Holds the stripes of {@code keys} until closed. */
    private Held lock(String... keys) {
        ensureOpen();
        int[] held = Arrays.stream(keys).mapToInt(k -> Math.floorMod(k.hashCode(), STRIPES)).distinct().sorted().toArray();
        for (int i : held) {
            stripes[i].lock();
        }
        return new Held(stripes, held);
    }

    private record Held(ReentrantLock[] stripes, int[] indexes) implements AutoCloseable {
        @Override
        public void close() {
            for (int i = indexes.length - 1; i >= 0; i--) {
                stripes[indexes[i]].unlock();
            }
        }
    }

    private static boolean btrfsInKernel() throws IOException {
        if (Files.readString(Path.of("/proc/filesystems")).contains("\tbtrfs")) {
            return true;
        }
        if (onPath("modprobe").isPresent()) {
            ai.sandbox0.node.runtime.HostCommand.run(List.of("modprobe", "btrfs"));
        }
        return Files.readString(Path.of("/proc/filesystems")).contains("\tbtrfs");
    }

    private static java.util.Optional<Path> onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        return Arrays.stream(path.split(":")).filter(d -> !d.isEmpty()).map(d -> Path.of(d, program))
                .filter(Files::isExecutable).findFirst();
    }

    static boolean atLeast(String release, int[] wanted) {
        String[] parts = release.split("[^0-9]+");
        for (int i = 0; i < wanted.length; i++) {
            int have = i < parts.length && !parts[i].isEmpty() ? Integer.parseInt(parts[i]) : 0;
            if (have != wanted[i]) {
                return have > wanted[i];
            }
        }
        return true;
    }
}
