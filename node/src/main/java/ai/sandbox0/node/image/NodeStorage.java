package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.IdMap;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.RegistryCredentials;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.layer.LayerCache;
import ai.sandbox0.node.layer.LayerExporter;
import ai.sandbox0.node.layer.LayerSquasher;
import ai.sandbox0.node.layer.LayerUnpacker;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The storage half of a node, wired from a data dir: blobs in {@code <data>/blobs} (or a store the
 * caller hands in, such as the server's S3 bucket), extracted
 * layers in {@code <data>/layers}, resolved images in {@code <data>/images}, builtin images from the
 * host-wide cache. The runtime resolves an image, {@link LayerCache#acquire acquires} its chain for
 * an overlay, and on pause calls {@link #checkpoint}.
 */
public record NodeStorage(BlobStore blobs, LayerCache layers, LayerExporter exporter, ImageStore images, int maxDepth)
        implements Closeable {

    /** Overlay options fit in one page up to about 40 layers; squash well before. */
    public static final int DEFAULT_MAX_DEPTH = 16;

    public static NodeStorage open(Path dataDir, Path hostImageCache, Path debootstrap, RegistryCredentials credentials,
            Set<String> plainHttpRegistries) throws IOException {
        return open(dataDir, null, hostImageCache, debootstrap, credentials, plainHttpRegistries);
    }

    /**
     * Like {@link #open(Path, Path, Path, RegistryCredentials, Set)}, every blob (image layers and
     * checkpoints) in {@code blobs} (null: a {@link LocalBlobStore} in {@code <data>/blobs}). A
     * paused sandbox's chain mixes image and checkpoint layers and a host may lose its extracted
     * layers, so a chain resumes from {@code blobs} alone. The host image cache stays local: it is a
     * build cache, and its layer is copied into {@code blobs} when an image uses it.
     */
    public static NodeStorage open(Path dataDir, BlobStore blobs, Path hostImageCache, Path debootstrap,
            RegistryCredentials credentials, Set<String> plainHttpRegistries) throws IOException {
        // Every sandbox's checkpoints are here; only the node (host root) reads them.
        Files.createDirectories(dataDir);
        Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        if (blobs == null) {
            blobs = new LocalBlobStore(dataDir.resolve("blobs"));
        }
        LayerCache layers = LayerCache.open(dataDir.resolve("layers"), blobs, new LayerUnpacker());
        var images = new ImageStore(dataDir.resolve("images"), blobs,
                new HostImageCache(hostImageCache, new Debootstrap(debootstrap), MountTable.ofThisHost()),
                RootfsRecipe.defaultImage(RootfsRecipe.DEBIAN_MIRROR),
                RegistryClient.forThisHost(credentials, plainHttpRegistries));
        return new NodeStorage(blobs, layers, new LayerExporter(blobs), images, DEFAULT_MAX_DEPTH);
    }

    /**
     * Turns the upper dir of a stopped sandbox into a layer on top of {@code chain}, squashing the
     * sandbox's own layers when the chain grows past {@link #maxDepth}. Returns the new chain (the
     * same chain when nothing changed). The upper dir is only read; the caller removes it.
     *
     * @param excluded paths (relative to the root) the runtime mounted there, such as procd's
     * @param ids the host ids the run wrote its upper dir with, empty when it wrote container ids
     */
    public LayerChain checkpoint(LayerChain chain, Path upperDir, Set<String> excluded, Optional<IdMap> ids)
            throws IOException {
        LayerDescriptor layer = ids.isPresent() ? exporter.export(upperDir, excluded, ids.get())
                : exporter.export(upperDir, excluded);
        return chain.plus(layer).squash(maxDepth, new LayerSquasher(layers, exporter));
    }

    /**
     * Deletes the blobs no chain in {@code referenced} and no image uses, written before {@code cutoff}
     * (a checkpoint may have stored one and not yet recorded its chain). Returns what went.
     */
    public Set<Digest> collect(Collection<LayerChain> referenced, Instant cutoff) throws IOException {
        var keep = new HashSet<Digest>(images.referencedLayers());
        referenced.forEach(chain -> chain.layers().forEach(layer -> keep.add(layer.digest())));
        var deleted = new HashSet<Digest>();
        for (Digest digest : blobs.list()) {
            if (!keep.contains(digest) && blobs.lastWritten(digest).isBefore(cutoff) && blobs.delete(digest)) {
                deleted.add(digest);
            }
        }
        return deleted;
    }

    @Override
    public void close() throws IOException {
        layers.close();
    }
}
