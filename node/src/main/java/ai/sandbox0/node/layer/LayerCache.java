package ai.sandbox0.node.layer;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.BlobStore;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracted layers on this node, {@code <root>/layers/sha256-<hex>/}, keyed by blob digest and
 * shared read-only by every overlay that stacks them.
 *
 * <p>A layer is extracted once: callers wanting the same layer at the same time wait for one
 * extraction. It goes to {@code <root>/tmp/} and is renamed into place only when complete, so
 * after a crash (even {@code kill -9} mid-extract) a layer directory is whole or absent; leftover
 * temp dirs are removed when the cache opens. One process owns a cache directory at a time (a
 * lock file says so).
 *
 * <p>{@link #acquire} returns a {@link LayerLease}; {@link #gc} removes extracted layers that no
 * open lease holds. After a restart the runtime re-acquires the chains of the sandboxes it adopts
 * before it collects.
 */
public final class LayerCache implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(LayerCache.class);

    private final Path root;
    private final Path layers;
    private final Path tmp;
    private final Path empty;
    private final BlobStore blobs;
    private final LayerUnpacker unpacker;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private final ReentrantLock refsLock = new ReentrantLock();
    /** Guarded by refsLock: open leases per layer, and when each layer was last released. */
    private final Map<Digest, Integer> refs = new HashMap<>();
    private final Map<Digest, Instant> lastReleased = new HashMap<>();
    /** Extractions in progress; the first caller runs it, the others wait on its future. */
    private final ConcurrentHashMap<Digest, CompletableFuture<Path>> extracting = new ConcurrentHashMap<>();

    private LayerCache(Path root, BlobStore blobs, LayerUnpacker unpacker, FileChannel lockChannel, FileLock lock) {
        this.root = root;
        this.layers = root.resolve("layers");
        this.tmp = root.resolve("tmp");
        this.empty = root.resolve("empty");
        this.blobs = blobs;
        this.unpacker = unpacker;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Opens (creating) the cache at {@code root}, taking it over from a crashed owner if needed. */
    public static LayerCache open(Path root, BlobStore blobs, LayerUnpacker unpacker) throws IOException {
        Files.createDirectories(root);
        FileChannel channel = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("layer cache " + root + " is in use by another process or cache instance");
        }
        var cache = new LayerCache(root, blobs, unpacker, channel, lock);
        try {
            cache.recover();
        } catch (IOException | RuntimeException e) {
            cache.close();
            throw e;
        }
        return cache;
    }

    private void recover() throws IOException {
        Files.createDirectories(layers);
        Files.createDirectories(empty);
        Files.createDirectories(tmp);
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
            for (Path leftover : leftovers) {
                log.info("layer cache {}: removing leftover {} of an interrupted extraction or gc", root,
                        leftover.getFileName());
                LayerUnpacker.deleteTree(leftover);
            }
        }
        Instant now = Instant.now();
        for (Digest digest : extracted()) {
            lastReleased.put(digest, now);
        }
    }

    /**
     * Extracts (if needed) every layer of {@code chain} and holds them until the lease closes. A
     * layer whose uncompressed content does not match its diffID is refused.
     */
    public LayerLease acquire(LayerChain chain) throws IOException {
        hold(chain);
        try {
            var dirs = new ArrayList<Path>();
            for (LayerDescriptor layer : chain.layers()) {
                dirs.add(ensureExtracted(layer));
            }
            return new LayerLease(this, chain, dirs, empty);
        } catch (IOException | RuntimeException e) {
            release(chain);
            throw e;
        }
    }

    /** Where a layer is (or would be) extracted. */
    public Path directoryOf(Digest digest) {
        return layers.resolve("sha256-" + digest.hex());
    }

    public boolean isExtracted(Digest digest) {
        return Files.isDirectory(directoryOf(digest));
    }

    /** Digests of all layers extracted now, leased or not. */
    public Set<Digest> extracted() throws IOException {
        var result = new TreeSet<Digest>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layers)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.startsWith("sha256-")) {
                    try {
                        result.add(new Digest(name.substring("sha256-".length())));
                    } catch (IllegalArgumentException ignored) {
                        // not ours
                    }
                }
            }
        }
        return result;
    }

    /** Removes every extracted layer no lease holds. */
    public List<Digest> gc() throws IOException {
        return gc(Duration.ZERO);
    }

    /**
     * Removes extracted layers no lease holds and none released within {@code unusedFor}, so a
     * base image that sandboxes come and go on is not extracted over and over.
     */
    public List<Digest> gc(Duration unusedFor) throws IOException {
        var doomed = new ArrayList<Path>();
        var removed = new ArrayList<Digest>();
        Instant cutoff = Instant.now().minus(unusedFor);
        refsLock.lock();
        try {
            for (Digest digest : extracted()) {
                if (refs.getOrDefault(digest, 0) > 0 || extracting.containsKey(digest)) {
                    continue;
                }
                Instant released = lastReleased.get(digest);
                if (released != null && released.isAfter(cutoff)) {
                    continue;
                }
                // Moving it out is atomic; the slow delete runs outside the lock.
                Path trash = tmp.resolve("gc-" + digest.hex() + "-" + UUID.randomUUID());
                Files.move(directoryOf(digest), trash, StandardCopyOption.ATOMIC_MOVE);
                doomed.add(trash);
                removed.add(digest);
                lastReleased.remove(digest);
            }
        } finally {
            refsLock.unlock();
        }
        for (Path trash : doomed) {
            LayerUnpacker.deleteTree(trash);
        }
        if (!removed.isEmpty()) {
            log.info("layer cache {}: gc removed {} unreferenced layers", root, removed.size());
        }
        return removed;
    }

    /** Open leases on a layer (for tests and diagnostics). */
    public int references(Digest digest) {
        refsLock.lock();
        try {
            return refs.getOrDefault(digest, 0);
        } finally {
            refsLock.unlock();
        }
    }

    private void hold(LayerChain chain) {
        refsLock.lock();
        try {
            for (LayerDescriptor layer : chain.layers()) {
                refs.merge(layer.digest(), 1, Integer::sum);
            }
        } finally {
            refsLock.unlock();
        }
    }

    void release(LayerChain chain) {
        refsLock.lock();
        try {
            Instant now = Instant.now();
            for (LayerDescriptor layer : chain.layers()) {
                refs.computeIfPresent(layer.digest(), (d, n) -> n > 1 ? n - 1 : null);
                lastReleased.put(layer.digest(), now);
            }
        } finally {
            refsLock.unlock();
        }
    }

    private Path ensureExtracted(LayerDescriptor layer) throws IOException {
        Path target = directoryOf(layer.digest());
        if (Files.isDirectory(target)) {
            return target;
        }
        var mine = new CompletableFuture<Path>();
        var running = extracting.putIfAbsent(layer.digest(), mine);
        if (running != null) {
            return await(running, layer);
        }
        try {
            if (!Files.isDirectory(target)) { // another caller may have finished just before us
                extract(layer, target);
            }
            mine.complete(target);
            return target;
        } catch (IOException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            extracting.remove(layer.digest(), mine);
        }
    }

    private void extract(LayerDescriptor layer, Path target) throws IOException {
        long started = System.nanoTime();
        Path staging = tmp.resolve("extract-" + layer.digest().hex() + "-" + UUID.randomUUID());
        try {
            UnpackResult result;
            try (InputStream blob = blobs.open(layer.digest())) {
                result = unpacker.unpack(new FilterInputStream(blob) {
                    @Override
                    public void close() {
                        // the blob is drained below before it closes
                    }
                }, staging);
                // A decompressor may stop before the blob's end: reading the rest verifies it whole.
                blob.transferTo(OutputStream.nullOutputStream());
            }
            if (layer.diffId() != null && !layer.diffId().equals(result.diffId())) {
                throw new IOException("extract layer " + layer.digest() + ": uncompressed content hashes to "
                        + result.diffId() + ", not its diffID " + layer.diffId());
            }
            Posix.syncfs(staging); // the rename below must not outlive the data on a power loss
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            log.info("layer cache {}: extracted layer {} ({} entries, {} bytes) in {} ms", root,
                    layer.digest().shortHex(), result.entries(), result.bytes(), (System.nanoTime() - started) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LayerUnpacker.deleteTree(staging);
            if (e instanceof IOException io && !String.valueOf(io.getMessage()).startsWith("extract layer")) {
                throw new IOException("extract layer " + layer.digest() + ": " + io.getMessage(), io); // name the layer
            }
            throw e;
        }
    }

    private static Path await(CompletableFuture<Path> running, LayerDescriptor layer) throws IOException {
        try {
            return running.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("extract layer " + layer.digest() + ": interrupted while waiting", e);
        } catch (ExecutionException e) {
            throw new IOException("extract layer " + layer.digest() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    public Path root() {
        return root;
    }

    /** Releases the directory lock; leases already handed out keep their directories on disk. */
    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            lockChannel.close();
        }
    }
}
