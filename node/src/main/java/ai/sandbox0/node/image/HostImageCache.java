package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.layer.LayerExporter;
import ai.sandbox0.node.layer.LayerUnpacker;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builtin images built once per host and shared by every data dir: {@code <root>/images/<key>.json}
 * records a finished build (written last, atomically), {@code <root>/blobs/} holds its layer. A
 * build runs under a file lock, so of two processes starting at once one builds and the other
 * waits and reuses it; a killed build leaves only its staging dir, which the next build removes.
 */
public final class HostImageCache {

    private static final Logger log = LoggerFactory.getLogger(HostImageCache.class);

    public static final Path DEFAULT_ROOT = Path.of("/var/cache/sandbox0");

    /** The environment every builtin image starts with. */
    static final ImageConfig BUILTIN_CONFIG = new ImageConfig(
            List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root"),
            "/root", "0:0", List.of(), List.of("/bin/bash"));

    /** In-process half of the build lock: a JVM cannot hold two file locks on one file. */
    private static final Map<Path, ReentrantLock> BUILD_LOCKS = new ConcurrentHashMap<>();

    private final Path root;
    private final RootfsBuilder builder;
    private final MountTable mounts;

    public HostImageCache(Path root, RootfsBuilder builder, MountTable mounts) {
        this.root = root;
        this.builder = builder;
        this.mounts = mounts;
    }

    /** A finished builtin image: its single layer (in {@link #blobs()}) and config. */
    public record BuiltImage(String recipeKey, LayerDescriptor layer, ImageConfig config) {
    }

    /** The host cache's own blob store, where built layers live. */
    public BlobStore blobs() throws IOException {
        return new LocalBlobStore(root.resolve("blobs"));
    }

    /** The built image for {@code recipe}, building it first if this host has none. */
    public BuiltImage ensure(RootfsRecipe recipe, ImageProgress progress) throws IOException {
        String key = recipe.key();
        Path images = Files.createDirectories(root.resolve("images"));
        Path record = images.resolve(key + ".json");
        var finished = read(record);
        if (finished != null) {
            return finished;
        }
        Path lockFile = images.resolve(key + ".lock");
        ReentrantLock jvmLock = BUILD_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                progress.report("image " + key + ": another process is building it; waiting");
                lock = channel.lock();
            }
            try {
                finished = read(record); // the process we waited for may have finished it
                if (finished != null) {
                    return finished;
                }
                return build(recipe, record, progress);
            } finally {
                lock.release();
            }
        } finally {
            jvmLock.unlock();
        }
    }

    private enum Step { CLEAN_LEFTOVERS, BUILD_ROOTFS, UNMOUNT, STRIP, EXPORT_LAYER, RECORD, REMOVE_STAGING }

    /** Runs under the build lock: nobody else builds this key meanwhile. */
    private BuiltImage build(RootfsRecipe recipe, Path record, ImageProgress progress) throws IOException {
        String key = recipe.key();
        Path builds = Files.createDirectories(root.resolve("build"));
        Path staging = builds.resolve(key + "." + ProcessHandle.current().pid());
        long started = System.nanoTime();
        progress.report("image " + key + ": building " + recipe.suite() + "/" + recipe.variant() + " with "
                + String.join(",", recipe.allPackages()) + " (first use on this host; a few minutes)");

        step(Step.CLEAN_LEFTOVERS, staging, () -> {
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(builds, key + ".*")) {
                for (Path leftover : leftovers) {
                    log.info("image {}: removing leftover build {}", key, leftover);
                    mounts.unmountAll(leftover);
                    LayerUnpacker.deleteTree(leftover);
                }
            }
        });
        try {
            step(Step.BUILD_ROOTFS, staging, () -> builder.build(recipe, staging, progress));
            step(Step.UNMOUNT, staging, () -> mounts.unmountAll(staging));
            step(Step.STRIP, staging, () -> strip(staging));
            progress.report("image " + key + ": packing the root filesystem into a layer");
            LayerDescriptor[] layer = new LayerDescriptor[1];
            step(Step.EXPORT_LAYER, staging, () -> layer[0] = new LayerExporter(blobs()).export(staging));
            var built = new BuiltImage(key, layer[0], BUILTIN_CONFIG);
            step(Step.RECORD, record, () -> write(record, built));
            progress.report("image " + key + ": ready in " + (System.nanoTime() - started) / 1_000_000_000 + " s, layer "
                    + built.layer().digest().shortHex() + " (" + built.layer().size() / (1 << 20) + " MiB)");
            return built;
        } finally {
            step(Step.REMOVE_STAGING, staging, () -> {
                mounts.unmountAll(staging);
                LayerUnpacker.deleteTree(staging);
            });
        }
    }

    /**
     * What a sandbox should not inherit from the build host or needs fresh from the runtime:
     * host name and resolver (the runtime provides them), package caches and logs of the build,
     * device nodes (the runtime makes /dev).
     */
    static void strip(Path rootfs) throws IOException {
        Files.deleteIfExists(rootfs.resolve("etc/hostname"));
        Files.writeString(rootfs.resolve("etc/resolv.conf"), "");
        Files.writeString(rootfs.resolve("etc/hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        Files.deleteIfExists(rootfs.resolve("etc/machine-id"));
        for (String dir : List.of("dev", "tmp", "var/tmp", "var/cache/apt/archives", "var/lib/apt/lists", "debootstrap")) {
            emptyDirectory(rootfs.resolve(dir));
        }
        deleteFiles(rootfs.resolve("var/log")); // keep the directories programs expect to log into
        Files.deleteIfExists(rootfs.resolve("debootstrap"));
        try (DirectoryStream<Path> caches = Files.newDirectoryStream(rootfs.resolve("var/cache/apt"), "*.bin")) {
            for (Path cache : caches) {
                Files.delete(cache);
            }
        }
        Files.createDirectories(rootfs.resolve("var/cache/apt/archives/partial"));
        Files.createDirectories(rootfs.resolve("var/lib/apt/lists/partial"));
    }

    private static void emptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                LayerUnpacker.deleteTree(child);
            }
        }
    }

    private static void deleteFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                if (Files.isDirectory(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    deleteFiles(child);
                } else {
                    Files.delete(child);
                }
            }
        }
    }

    private interface StepAction {
        void run() throws IOException;
    }

    private static void step(Step step, Path path, StepAction action) throws IOException {
        try {
            action.run();
        } catch (IOException | RuntimeException e) {
            throw new ImageException("build builtin image: step " + step + " (" + path + "): " + e.getMessage(), e);
        }
    }

    private record Stored(String recipeKey, String digest, String diffId, long size, String mediaType, ImageConfig config) {
    }

    private BuiltImage read(Path record) throws IOException {
        if (!Files.isRegularFile(record)) {
            return null;
        }
        Stored s = OciDocuments.JSON.readValue(record.toFile(), Stored.class);
        var layer = new LayerDescriptor(Digest.parse(s.digest()), Digest.parse(s.diffId()), s.size(), s.mediaType());
        if (!blobs().exists(layer.digest())) {
            log.warn("image {}: record without its layer blob {}; rebuilding", s.recipeKey(), layer.digest());
            return null;
        }
        return new BuiltImage(s.recipeKey(), layer, s.config());
    }

    private static void write(Path record, BuiltImage built) throws IOException {
        var stored = new Stored(built.recipeKey(), built.layer().digest().toString(), built.layer().diffId().toString(),
                built.layer().size(), built.layer().mediaType(), built.config());
        Path tmp = record.resolveSibling(record.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            out.write(java.nio.ByteBuffer.wrap(OciDocuments.JSON.writeValueAsBytes(stored)));
            out.force(true);
        }
        Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE);
    }
}
