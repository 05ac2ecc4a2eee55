package ai.sandbox0.node.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.testing.ForwardingBlobStore;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerCacheTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRoot() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
    }

    @Test
    void concurrentAcquiresOfOneLayerExtractItOnce() throws Exception {
        var blobs = new CountingBlobStore(new LocalBlobStore(dir.resolve("blobs")));
        LayerDescriptor layer = layerOf(blobs, "one", 200);
        try (var cache = LayerCache.open(dir.resolve("cache"), blobs, new LayerUnpacker());
                var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var start = new CountDownLatch(1);
            var leases = new ArrayList<Future<LayerLease>>();
            for (int i = 0; i < 12; i++) {
                leases.add(pool.submit(() -> {
                    start.await();
                    return cache.acquire(LayerChain.of(layer));
                }));
            }
            start.countDown();
            for (var lease : leases) {
                assertThat(lease.get().directories()).containsExactly(cache.directoryOf(layer.digest()));
            }
            assertThat(blobs.opens.get()).isEqualTo(1);
            assertThat(cache.references(layer.digest())).isEqualTo(12);
            for (var lease : leases) {
                lease.get().close();
                lease.get().close(); // twice is harmless
            }
            assertThat(cache.references(layer.digest())).isZero();
        }
    }

    @Test
    void gcRemovesOnlyLayersNoLeaseHolds() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        LayerDescriptor a = layerOf(blobs, "a", 3);
        LayerDescriptor b = layerOf(blobs, "b", 3);
        LayerDescriptor c = layerOf(blobs, "c", 3);
        try (var cache = LayerCache.open(dir.resolve("cache"), blobs, new LayerUnpacker())) {
            var imageAndCheckpoint = cache.acquire(LayerChain.of(a, b));
            var other = cache.acquire(LayerChain.of(a, c));
            other.close();
            assertThat(cache.gc(Duration.ofHours(1))).as("c was just released").isEmpty();
            assertThat(cache.gc()).containsExactly(c.digest());
            assertThat(cache.extracted()).containsExactlyInAnyOrder(a.digest(), b.digest());
            assertThat(Files.isDirectory(cache.directoryOf(a.digest()))).isTrue();
            imageAndCheckpoint.close();
            assertThat(cache.gc()).containsExactlyInAnyOrder(a.digest(), b.digest());
            assertThat(cache.extracted()).isEmpty();
            // A collected layer comes back from its blob on the next acquire.
            try (var again = cache.acquire(LayerChain.of(c))) {
                assertThat(again.directories().getFirst().resolve("c")).exists();
            }
        }
    }

    @Test
    void anExtractionInterruptedByACrashIsCleanedWhenTheCacheOpens() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        LayerDescriptor layer = layerOf(blobs, "x", 3);
        Path root = dir.resolve("cache");
        try (var cache = LayerCache.open(root, blobs, new LayerUnpacker())) {
            cache.acquire(LayerChain.of(layer)).close();
        }
        // What kill -9 during an extraction leaves: a staging dir, never a partial layer dir.
        Path staging = Files.createDirectories(root.resolve("tmp/extract-" + "0".repeat(64) + "-dead/usr/lib"));
        Files.writeString(staging.resolve("half"), "half a file");
        try (var cache = LayerCache.open(root, blobs, new LayerUnpacker())) {
            try (var tmp = Files.list(root.resolve("tmp"))) {
                assertThat(tmp).isEmpty();
            }
            assertThat(cache.extracted()).containsExactly(layer.digest());
        }
    }

    @Test
    void aLayerWhoseContentDoesNotMatchItsDiffIdIsRefused() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        LayerDescriptor real = layerOf(blobs, "x", 3);
        var lying = new LayerDescriptor(real.digest(), Digest.of(new byte[] {1}), real.size(), real.mediaType());
        try (var cache = LayerCache.open(dir.resolve("cache"), blobs, new LayerUnpacker())) {
            assertThatThrownBy(() -> cache.acquire(LayerChain.of(lying))).hasMessageContaining("not its diffID");
            assertThat(cache.extracted()).isEmpty();
            assertThat(cache.references(real.digest())).isZero();
        }
    }

    @Test
    void aBlobThatNoLongerHashesToItsDigestIsRefusedNamingItEvenWhenItUnpacks() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        LayerDescriptor real = layerOf(blobs, "x", 3);
        LayerDescriptor other = layerOf(blobs, "y", 3);
        // Another valid layer's bytes under this digest, and no diffID to catch it: only the blob digest can.
        Path file = dir.resolve("blobs/sha256/" + real.digest().hex());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Files.copy(dir.resolve("blobs/sha256/" + other.digest().hex()), file, StandardCopyOption.REPLACE_EXISTING);
        var unchecked = new LayerDescriptor(real.digest(), null, real.size(), real.mediaType());
        try (var cache = LayerCache.open(dir.resolve("cache"), blobs, new LayerUnpacker())) {
            assertThatThrownBy(() -> cache.acquire(LayerChain.of(unchecked)))
                    .hasMessageContaining("blob " + real.digest()).hasMessageContaining("is corrupt");
            assertThat(cache.extracted()).isEmpty();
        }
    }

    @Test
    void oneProcessOwnsACacheDirectory() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        try (var cache = LayerCache.open(dir.resolve("cache"), blobs, new LayerUnpacker())) {
            assertThatThrownBy(() -> LayerCache.open(cache.root(), blobs, new LayerUnpacker()))
                    .hasMessageContaining("in use");
        }
        LayerCache.open(dir.resolve("cache"), blobs, new LayerUnpacker()).close();
    }

    /** A layer with {@code files} small files, exported from a plain directory. */
    private LayerDescriptor layerOf(BlobStore blobs, String name, int files) throws IOException {
        Path tree = Files.createDirectories(dir.resolve("trees").resolve(name));
        Files.writeString(tree.resolve(name), name);
        for (int i = 0; i < files; i++) {
            Files.writeString(Files.createDirectories(tree.resolve("d" + i % 10)).resolve("f" + i), "content " + i);
        }
        return new LayerExporter(blobs).export(tree);
    }

    /** Counts how often a layer blob is read, slowly, so concurrent callers overlap. */
    static final class CountingBlobStore extends ForwardingBlobStore {
        final AtomicInteger opens = new AtomicInteger();

        CountingBlobStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public InputStream open(Digest digest) throws IOException {
            opens.incrementAndGet();
            return new FilterInputStream(delegate.open(digest)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return super.read(b, off, Math.min(len, 4096));
                }
            };
        }
    }
}
