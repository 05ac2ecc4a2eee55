package ai.sandbox0.server.volume.seal;

import ai.sandbox0.node.volume.VolumeEntry;
import ai.sandbox0.node.volume.VolumeFiles;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.volume.seal.VolumeHeads.Head;
import ai.sandbox0.server.volume.seal.VolumeManifest.Entry;
import ai.sandbox0.server.volume.seal.VolumeManifest.Type;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a volume durable beyond its node: flushes it to a read-only snapshot (one consistent moment, even
 * while a sandbox writes), stores the files that changed since the last seal as chunks in the volume object
 * store, then a manifest of the whole tree, and moves the volume's head to it by compare-and-set. Files whose
 * size and modification time match the previous manifest reuse its chunks unread. What a seal stored but did
 * not make a head is garbage the collector removes after its grace period.
 *
 * <p>Seals of one volume run one at a time ({@link #lock}); the volume service takes the same lock around
 * restore and delete.
 */
public final class VolumeSealer {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeSealer.class);

    private final VolumePool pool;
    private final VolumeObjects objects;
    private final VolumeHeads heads;
    private final Clock clock;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public VolumeSealer(VolumePool pool, VolumeObjects objects, VolumeHeads heads, Clock clock) {
        this.pool = pool;
        this.objects = objects;
        this.heads = heads;
        this.clock = clock;
    }

    /** The lock seals of {@code volumeId} hold; reentrant, so a holder may seal. */
    public ReentrantLock lock(String volumeId) {
        return locks.computeIfAbsent(volumeId, id -> new ReentrantLock());
    }

    /** Seals the volume's current state; returns its head (unchanged when nothing changed since the last seal). */
    public Head seal(String volumeId) throws IOException {
        ReentrantLock lock = lock(volumeId);
        lock.lock();
        try {
            String moment = "seal-" + volumeId;
            pool.deleteSnapshot(moment); // one a crash left behind
            Instant at = clock.instant();
            pool.snapshot(volumeId, moment);
            try {
                return sealFrom(volumeId, pool.snapshotFiles(moment), heads.head(volumeId), at).head();
            } finally {
                pool.deleteSnapshot(moment);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Seals a read-only snapshot the API took of the volume at or after {@code takenAt}: its manifest
     * (returned) is both the snapshot's durable state and the volume's new head.
     */
    public String sealSnapshot(String volumeId, String snapshotId, Instant takenAt) throws IOException {
        ReentrantLock lock = lock(volumeId);
        lock.lock();
        try {
            Sealed sealed = sealFrom(volumeId, pool.snapshotFiles(snapshotId), heads.head(volumeId), takenAt);
            heads.setSnapshotManifest(snapshotId, sealed.head().manifest(), sealed.logicalBytes());
            return sealed.head().manifest();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The first seal of a volume made from another's state (a fork, or a volume from a snapshot): unchanged
     * files reuse the chunks of {@code basisManifest}, so nothing already stored is read or sent again.
     */
    public Head sealCopy(String volumeId, Optional<String> basisManifest) throws IOException {
        ReentrantLock lock = lock(volumeId);
        lock.lock();
        try {
            Optional<Head> head = heads.head(volumeId);
            if (head.isEmpty() && basisManifest.isPresent()) {
                String moment = "seal-" + volumeId;
                pool.deleteSnapshot(moment);
                Instant at = clock.instant();
                pool.snapshot(volumeId, moment);
                try {
                    VolumeManifest basis = objects.manifest(basisManifest.get());
                    return sealTree(volumeId, pool.snapshotFiles(moment), Optional.empty(), basis, at).head();
                } finally {
                    pool.deleteSnapshot(moment);
                }
            }
            return seal(volumeId);
        } finally {
            lock.unlock();
        }
    }

    /** After a restore: the volume's state is the snapshot's again, and so is its head. */
    public void restored(String volumeId, String snapshotManifest) {
        ReentrantLock lock = lock(volumeId);
        lock.lock();
        try {
            Optional<Head> head = heads.head(volumeId);
            long seq = head.map(Head::seq).orElse(0L);
            if (!heads.advance(volumeId, seq, new Head(volumeId, seq + 1, snapshotManifest, clock.instant()))) {
                LOG.warn("volume {}: its head moved during a restore; the next seal records the restored state", volumeId);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The volume is gone: its head goes (its objects follow at the next collection). */
    public void forget(String volumeId) {
        heads.delete(volumeId);
        locks.remove(volumeId);
    }

    public Optional<Head> head(String volumeId) {
        return heads.head(volumeId);
    }

    /** A seal's head and the logical size of the tree it describes. */
    private record Sealed(Head head, long logicalBytes) {
    }

    private Sealed sealFrom(String volumeId, VolumeFiles files, Optional<Head> head, Instant at) throws IOException {
        VolumeManifest previous = head.isPresent() ? objects.manifest(head.get().manifest()) : null;
        return sealTree(volumeId, files, head, previous, at);
    }

    private Sealed sealTree(String volumeId, VolumeFiles files, Optional<Head> head, VolumeManifest basis, Instant at)
            throws IOException {
        objects.sealing().lock();
        try {
            return sealTreeLocked(volumeId, files, head, basis, at);
        } finally {
            objects.sealing().unlock();
        }
    }

    private Sealed sealTreeLocked(String volumeId, VolumeFiles files, Optional<Head> head, VolumeManifest basis,
            Instant at) throws IOException {
        long started = System.nanoTime();
        Map<String, Entry> known = new HashMap<>();
        if (basis != null) {
            basis.entries().forEach(e -> known.put(e.path(), e));
        }
        var stats = new int[2];
        List<Entry> entries = describe(files, known, basis == null ? Instant.MIN : basis.sealedAt(), stats);
        long seq = head.map(Head::seq).orElse(0L) + 1;
        var manifest = new VolumeManifest(VolumeManifest.VERSION, volumeId, seq, at, entries);
        if (head.isPresent() && basis != null && manifest.sameTree(basis)) {
            return new Sealed(head.get(), manifest.logicalBytes());
        }
        String digest = objects.storeManifest(manifest).toString();
        var next = new Head(volumeId, seq, digest, manifest.sealedAt());
        if (!heads.advance(volumeId, seq - 1, next)) {
            throw new IOException("volume " + volumeId + ": its head moved while it was being sealed");
        }
        LOG.debug("volume {}: sealed #{} ({} entries, {} files stored, {} reused) in {} ms", volumeId, seq,
                entries.size(), stats[0], stats[1], (System.nanoTime() - started) / 1_000_000);
        return new Sealed(next, manifest.logicalBytes());
    }

    /** Every entry of the tree, parents before children, in path order; changed files are stored on the way. */
    private List<Entry> describe(VolumeFiles files, Map<String, Entry> known, Instant knownSealed, int[] stats)
            throws IOException {
        var entries = new ArrayList<Entry>();
        entries.add(entry(files.stat("/"), "/", List.of()));
        Deque<String> dirs = new ArrayDeque<>();
        dirs.push("/");
        while (!dirs.isEmpty()) {
            String dir = dirs.pop();
            List<VolumeEntry> children = new ArrayList<>(files.list(dir));
            children.sort(Comparator.comparing(VolumeEntry::name));
            var subdirs = new ArrayList<String>();
            for (VolumeEntry child : children) {
                String path = dir.equals("/") ? "/" + child.name() : dir + "/" + child.name();
                switch (child.kind()) {
                    case DIRECTORY -> {
                        entries.add(entry(child, path, List.of()));
                        subdirs.add(path);
                    }
                    case SYMLINK -> entries.add(entry(child, path, List.of()));
                    case FILE -> {
                        Entry before = known.get(path);
                        Entry now = entry(child, path, List.of());
                        if (now.unchanged(before, knownSealed)) {
                            entries.add(entry(child, path, before.chunks()));
                            stats[1]++;
                        } else {
                            try (SeekableByteChannel in = files.read(path)) {
                                entries.add(entry(child, path, objects.storeFile(in)));
                            }
                            stats[0]++;
                        }
                    }
                    case OTHER -> LOG.debug("volume seal: skipping {} (not a file, directory or link)", path);
                }
            }
            for (int i = subdirs.size() - 1; i >= 0; i--) {
                dirs.push(subdirs.get(i));
            }
        }
        entries.sort(Comparator.comparing(Entry::path));
        return entries;
    }

    private static Entry entry(VolumeEntry e, String path, List<String> chunks) {
        Type type = switch (e.kind()) {
            case DIRECTORY -> Type.DIRECTORY;
            case SYMLINK -> Type.SYMLINK;
            default -> Type.FILE;
        };
        return new Entry(path, type, e.mode(), e.uid(), e.gid(), type == Type.FILE ? e.size() : 0, e.modified(),
                chunks, type == Type.SYMLINK ? e.linkTarget() : null);
    }
}
