package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * One streaming write into a {@link BlobStore}. Write the content to {@link #stream()}, then
 * {@link #commit()}; closing without a commit discards everything written. Not thread-safe: one
 * writer owns an upload.
 */
public interface BlobUpload extends Closeable {

    /** Where the content goes. Closing this stream does not commit; it only flushes. */
    OutputStream stream();

    /** Makes the content visible under its digest and returns it. */
    Blob commit() throws IOException;

    /** Like {@link #commit()}, but stores nothing unless the content hashes to {@code expected}. */
    Blob commit(Digest expected) throws IOException;

    /** Discards the upload unless it was committed. Idempotent. */
    @Override
    void close() throws IOException;
}
