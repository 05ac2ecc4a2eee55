package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * Content-addressed, immutable objects keyed by their sha256. The same bytes always land under the
 * same key, so a put of content that already exists is a no-op and concurrent puts of one content
 * are safe. Implementations: a local directory ({@link LocalBlobStore}); an S3 bucket (the server's,
 * handed to the node). The interface speaks only digests and streams, never file paths, so both fit
 * behind it.
 */
public interface BlobStore {

    /** Starts a streaming write whose digest is known only at the end (a layer being exported). */
    BlobUpload upload() throws IOException;

    /** Stores everything {@code content} yields. */
    default Blob put(InputStream content) throws IOException {
        try (BlobUpload upload = upload()) {
            content.transferTo(upload.stream());
            return upload.commit();
        }
    }

    /**
     * Stores {@code content} only if it hashes to {@code expected} (a blob from a registry or an
     * image archive), else throws {@link DigestMismatchException} and stores nothing.
     */
    default Blob put(InputStream content, Digest expected) throws IOException {
        try (BlobUpload upload = upload()) {
            content.transferTo(upload.stream());
            return upload.commit(expected);
        }
    }

    /**
     * Reads a blob; {@link NoSuchBlobException} if absent. Reading to the end verifies the content
     * against its digest ({@link CorruptBlobException}, see {@link VerifyingInputStream}). The caller
     * closes the stream.
     */
    InputStream open(Digest digest) throws IOException;

    boolean exists(Digest digest) throws IOException;

    /** Size in bytes; {@link NoSuchBlobException} if absent. */
    long size(Digest digest) throws IOException;

    /** Removes a blob; false if it was not there. Readers that already opened it may finish. */
    boolean delete(Digest digest) throws IOException;

    /**
     * When the blob was last stored (a put of content already there counts): collectors leave blobs
     * younger than a grace period alone, since a writer may be about to reference one.
     */
    Instant lastWritten(Digest digest) throws IOException;

    /** Every digest stored, in digest order. */
    List<Digest> list() throws IOException;
}
