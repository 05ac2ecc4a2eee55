package ai.sandbox0.server.volume.seal;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.Digest;
import ai.sandbox0.node.blob.BlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Volume content in a blob store of its own (apart from rootfs layers, so each collector sees only its
 * objects): files as fixed-size chunks and manifests, every one content-addressed and immutable, encrypted by
 * the store. A chunk already stored (by this volume, a fork of it or any other) is not sent again.
 */
public final class VolumeObjects {

    /** Big enough to keep per-object overhead small, small enough that a change rewrites little of a big file. */
    public static final int CHUNK_BYTES = 4 << 20;

    private final BlobStore store;
    /**
     * Seals share it, the collector holds it alone: a seal reuses chunks it does not read again, which must
     * not go between the collector reading the references and the seal's head naming them.
     */
    private final ReentrantReadWriteLock collection = new ReentrantReadWriteLock();

    public VolumeObjects(BlobStore store) {
        this.store = store;
    }

    Lock sealing() {
        return collection.readLock();
    }

    Lock collecting() {
        return collection.writeLock();
    }

    public BlobStore store() {
        return store;
    }

    /** Stores {@code content} chunk by chunk and returns the chunks' digests, in order. */
    public List<String> storeFile(ReadableByteChannel content) throws IOException {
        var chunks = new ArrayList<String>();
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES);
        while (true) {
            buffer.clear();
            while (buffer.hasRemaining() && content.read(buffer) >= 0) {
                // fill the chunk: a channel may return fewer bytes than asked
            }
            if (buffer.position() == 0) {
                return chunks;
            }
            byte[] chunk = new byte[buffer.position()];
            buffer.flip().get(chunk);
            Digest digest = Digest.of(chunk);
            if (!store.exists(digest)) {
                store.put(new ByteArrayInputStream(chunk), digest);
            }
            chunks.add(digest.toString());
            if (chunk.length < CHUNK_BYTES) {
                return chunks;
            }
        }
    }

    public InputStream chunk(String digest) throws IOException {
        return store.open(Digest.parse(digest));
    }

    public Digest storeManifest(VolumeManifest manifest) throws IOException {
        return store.put(new ByteArrayInputStream(Json.write(manifest))).digest();
    }

    public VolumeManifest manifest(String digest) throws IOException {
        try (InputStream in = store.open(Digest.parse(digest))) {
            return Json.mapper().readValue(in, VolumeManifest.class);
        }
    }
}
