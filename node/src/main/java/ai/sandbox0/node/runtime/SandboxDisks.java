package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each run's writable storage: an ext4 filesystem of its own, a sparse image on a loop device, sized
 * by the template's ephemeral storage. It holds the overlay's upper and work dirs and the container
 * log, so the kernel bounds everything a sandbox can write to the host: past the size, writes fail with
 * ENOSPC inside the sandbox and nothing outside it notices; {@code df /} inside shows the disk.
 *
 * <p>Disks live in {@code dir} as {@code <disk>.img} mounted at {@code <disk>/}. Making one (mkfs and
 * mount, two programs) is too slow for a start, so a few empty ones of each size in use are kept ready
 * and a start takes one of those. A run's state dir links to its disk ({@link SandboxLayout#disk}), since a
 * mount point cannot be renamed. Thread-safe.
 */
public final class SandboxDisks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SandboxDisks.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** ext4's metadata takes a little of a small disk; below this size it takes most of it. */
    static final long MIN_BYTES = 16L << 20;

    private final Path dir;
    private final Mounter mounter;
    private final MountTable mounts;
    private final int spares;
    private final Executor background;
    private final Map<Long, Deque<Path>> ready = new ConcurrentHashMap<>();
    /** When each size was last taken: spares are kept for the few sizes in use, not every size ever asked for. */
    private final Map<Long, Long> lastTaken = new ConcurrentHashMap<>();
    static final int MAX_SPARE_SIZES = 4;
    /** How long a refill waits after a take: past the start that took the spare. */
    static final java.time.Duration REFILL_DELAY = java.time.Duration.ofSeconds(1);
    private final Map<Long, AtomicBoolean> refilling = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param spares how many empty disks of each size in use to keep ready (0: make each when needed)
     */
    public SandboxDisks(Path dir, Mounter mounter, MountTable mounts, int spares, Executor background)
            throws IOException {
        this.dir = dir;
        this.mounter = mounter;
        this.mounts = mounts;
        this.spares = spares;
        this.background = background;
        Files.createDirectories(dir);
        // Sandboxes' own ids pass through to their empty dirs; listing the disks is the node's alone.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    }

    /** An empty disk of {@code bytes}, mounted; its mount dir. */
    public Path take(long bytes) throws SetupException {
        long size = Math.max(MIN_BYTES, bytes);
        lastTaken.put(size, System.nanoTime());
        forgetStaleSizes(size);
        Deque<Path> queue = ready.computeIfAbsent(size, k -> new ArrayDeque<>());
        Path disk;
        synchronized (queue) {
            disk = queue.pollFirst();
        }
        refill(size);
        return disk != null ? disk : make(size, false);
    }

    /** Unmounts the disk and deletes it with everything on it. Idempotent. */
    public void release(Path disk) throws SetupException {
        try {
            if (mounts.isMountPoint(disk)) {
                mounter.unmount(disk);
            }
            Files.deleteIfExists(disk);
            Files.deleteIfExists(image(disk));
        } catch (SetupException e) {
            throw e;
        } catch (IOException e) {
            throw new SetupException(Step.RELEASE_DISK, disk + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@link #release} in the background: an unmount writes back what the run left dirty (tens of
     * milliseconds), which a pause or a delete need not wait for. Nothing links to the disk any more, so
     * a crash before it is done leaves it to {@link #reconcile}; closing the node's executor waits for it.
     */
    public void releaseLater(Path disk) {
        background.execute(() -> {
            try {
                release(disk);
            } catch (SetupException | RuntimeException e) {
                log.warn("disk {} not released (the next reconcile removes it): {}", disk.getFileName(), e.getMessage());
            }
        });
    }

    /** The disk a run's state dir links to, if it has one. */
    public static Optional<Path> of(SandboxLayout layout, String id) {
        return target(layout.disk(id));
    }

    /** The disks of the run's empty dirs. */
    public static List<Path> emptyDirsOf(SandboxLayout layout, String id) {
        var found = new ArrayList<Path>();
        for (int i = 0; ; i++) {
            Optional<Path> disk = target(layout.emptyDir(id, i));
            if (disk.isEmpty()) {
                return found;
            }
            found.add(disk.get());
        }
    }

    private static Optional<Path> target(Path link) {
        try {
            return Files.isSymbolicLink(link) ? Optional.of(Files.readSymbolicLink(link)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Links {@code link} (in a run's state dir) to {@code disk}. */
    public static void link(Path link, Path disk) throws SetupException {
        try {
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, disk);
        } catch (IOException e) {
            throw new SetupException(Step.PREPARE_DISK, link + ": " + e.getMessage(), e);
        }
    }

    /** Where an empty dir's files go on its disk: not the disk's root, which holds ext4's lost+found. */
    public static Path emptyDirData(Path disk) {
        return disk.resolve("data");
    }

    /** Unlinks the disks of the run's empty dirs and releases them in the background: they never outlive a run. */
    public void releaseEmptyDirs(SandboxLayout layout, String id) throws SetupException {
        for (int i = 0; ; i++) {
            Path link = layout.emptyDir(id, i);
            Optional<Path> disk = target(link);
            if (disk.isEmpty()) {
                return;
            }
            try {
                Files.deleteIfExists(link);
            } catch (IOException e) {
                throw new SetupException(Step.RELEASE_DISK, link + ": " + e.getMessage(), e);
            }
            releaseLater(disk.get());
        }
    }

    /**
     * After a restart: disks of runs still on the host are mounted again if the host lost the mount (a
     * reboot), so a lost run's changes can be checkpointed; every other disk (spares of the last
     * process, leftovers) is removed.
     */
    public void reconcile(Set<Path> inUse) throws SetupException {
        List<Path> present;
        try (Stream<Path> s = Files.list(dir)) {
            present = s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException e) {
            throw new SetupException(Step.RECONCILE, dir + ": " + e.getMessage(), e);
        }
        for (Path disk : present) {
            if (!inUse.contains(disk)) {
                release(disk);
            }
        }
        for (Path disk : inUse) {
            try {
                if (Files.exists(image(disk)) && !mounts.isMountPoint(disk)) {
                    Files.createDirectories(disk);
                    mount(image(disk), disk);
                    log.info("mounted the disk {} of a run that outlived its mount", disk.getFileName());
                }
            } catch (IOException e) {
                throw new SetupException(Step.RECONCILE, disk + ": " + e.getMessage(), e);
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path image : s.filter(p -> p.getFileName().toString().endsWith(".img")).toList()) {
                Path disk = dir.resolve(image.getFileName().toString().replaceFirst("\\.img$", ""));
                if (!inUse.contains(disk)) {
                    Files.deleteIfExists(image);
                }
            }
        } catch (IOException e) {
            throw new SetupException(Step.RECONCILE, dir + ": " + e.getMessage(), e);
        }
    }

    /** Past {@link #MAX_SPARE_SIZES} sizes, the spares of the size taken longest ago go. */
    private void forgetStaleSizes(long current) {
        while (lastTaken.size() > MAX_SPARE_SIZES) {
            Long stalest = lastTaken.entrySet().stream().filter(e -> e.getKey() != current)
                    .min(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
            if (stalest == null || lastTaken.remove(stalest) == null) {
                return;
            }
            refilling.remove(stalest);
            Deque<Path> queue = ready.remove(stalest);
            if (queue != null) {
                background.execute(() -> releaseAll(queue));
            }
        }
    }

    private void refill(long size) {
        if (spares == 0 || closed) {
            return;
        }
        AtomicBoolean busy = refilling.computeIfAbsent(size, k -> new AtomicBoolean());
        if (!busy.compareAndSet(false, true)) {
            return;
        }
        background.execute(() -> {
            try {
                // The start that took a spare is still running: let it have the CPU and the disk first.
                Thread.sleep(REFILL_DELAY);
                Deque<Path> queue = ready.get(size);
                while (queue != null && !closed && ready.get(size) == queue && sizeOf(queue) < spares) {
                    Path disk = make(size, true);
                    synchronized (queue) {
                        // close() and forgetStaleSizes() drain under the same lock: nothing is added after them.
                        if (!closed && ready.get(size) == queue) {
                            queue.addLast(disk);
                            disk = null;
                        }
                    }
                    if (disk != null) {
                        release(disk);
                    }
                }
            } catch (SetupException | RuntimeException e) {
                log.warn("spare disks of {} MiB not made: {}", size >> 20, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                busy.set(false);
            }
        });
    }

    private static int sizeOf(Deque<Path> queue) {
        synchronized (queue) {
            return queue.size();
        }
    }

    /**
     * A new empty disk: a sparse image, ext4 with a small journal and no reserved blocks, mounted. A spare
     * made ahead ({@code ahead}) is formatted at the lowest CPU and I/O priority, behind sandbox starts.
     */
    Path make(long size, boolean ahead) throws SetupException {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        Path disk = dir.resolve("d" + HexFormat.of().formatHex(b));
        Path image = image(disk);
        try {
            // Owner-only, the image and its root: a sandbox's files are nobody else's to read.
            try (var file = FileChannel.open(image, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
                file.write(ByteBuffer.wrap(new byte[1]), size - 1); // sparse: blocks are allocated as ext4 uses them
            }
            var mkfs = new ArrayList<String>(ahead ? List.of("nice", "-n", "19", "ionice", "-c", "3") : List.of());
            mkfs.addAll(List.of("mkfs.ext4", "-q", "-F", "-m", "0", "-J", "size=4",
                    "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard", "-L", "s0disk", image.toString()));
            HostCommand.check(Step.PREPARE_DISK, mkfs);
            Files.createDirectories(disk);
            mount(image, disk);
            Files.setPosixFilePermissions(disk, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            return disk;
        } catch (IOException e) {
            try {
                release(disk);
            } catch (SetupException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e instanceof SetupException se ? se
                    : new SetupException(Step.PREPARE_DISK, disk + ": " + e.getMessage(), e);
        }
    }

    /**
     * Mounts the image through a loop device that frees itself at unmount, then switches the device to
     * direct I/O: a buffered loop device caches every page twice (its own and the image file's) and writes
     * far slower than the host disk; with direct I/O it keeps up with it (bench/node measures both).
     * {@code noinit_itable}: the image is sparse, so its inode tables already read as zeros; the kernel's
     * background zeroing would only compete with the sandbox's first writes and fill the image.
     */
    private void mount(Path image, Path disk) throws SetupException {
        HostCommand.check(Step.PREPARE_DISK, List.of("mount", "-t", "ext4", "-o", "loop,nodev,nosuid,noatime,noinit_itable",
                image.toString(), disk.toString()));
        try {
            String device = mounts.sourceOf(disk).orElseThrow(() -> new IOException("not mounted after mount"));
            HostCommand.check(Step.PREPARE_DISK, List.of("losetup", "--direct-io=on", device));
        } catch (IOException e) {
            throw e instanceof SetupException se ? se : new SetupException(Step.PREPARE_DISK, disk + ": " + e.getMessage(), e);
        }
    }

    private static Path image(Path disk) {
        return disk.resolveSibling(disk.getFileName() + ".img");
    }

    /** Removes the spare disks; disks of runs stay. */
    @Override
    public void close() {
        closed = true;
        ready.values().forEach(this::releaseAll);
    }

    /** Releases the spares of {@code queue} until it is empty. */
    private void releaseAll(Deque<Path> queue) {
        Path disk;
        while ((disk = pollSynchronized(queue)) != null) {
            try {
                release(disk);
            } catch (SetupException e) {
                log.warn("spare disk {} not removed: {}", disk.getFileName(), e.getMessage());
            }
        }
    }

    private static Path pollSynchronized(Deque<Path> queue) {
        synchronized (queue) {
            return queue.pollFirst();
        }
    }
}
