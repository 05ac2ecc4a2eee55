package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * An upload written to a spool file while it is hashed. On commit the digest is checked against the
 * expected one (a mismatch stores nothing) and {@link #store} puts the file where the store keeps blobs;
 * the spool file is gone afterwards whatever happened.
 */
public abstract class SpooledUpload implements BlobUpload {

    private final UploadSpool.SpoolFile spooled;
    private final String where;
    private final MessageDigest sha = Digest.newSha256();
    private final OutputStream stream;
    private long size;
    private boolean done;

    protected SpooledUpload(UploadSpool.SpoolFile spooled, String where) {
        this.spooled = spooled;
        this.where = where;
        this.stream = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (done) {
                    throw new IOException("blob upload " + spooled.path() + " is already finished");
                }
                sha.update(b, off, len);
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                while (buffer.hasRemaining()) {
                    spooled.channel().write(buffer);
                }
                size += len;
            }

            @Override
            public void close() {
                // committing is explicit; a wrapper closing us must not end the upload
            }
        };
    }

    /**
     * Keeps the spooled content as the blob {@code digest}: the channel is still open (for a store that
     * reads the file back) and the file is removed afterwards unless this moved it.
     */
    protected abstract Blob store(Path file, FileChannel channel, Digest digest, long size) throws IOException;

    @Override
    public OutputStream stream() {
        return stream;
    }

    @Override
    public Blob commit() throws IOException {
        return finish(null);
    }

    @Override
    public Blob commit(Digest expected) throws IOException {
        return finish(expected);
    }

    private Blob finish(Digest expected) throws IOException {
        if (done) {
            throw new IllegalStateException("blob upload " + spooled.path() + " is already finished");
        }
        done = true;
        try (FileChannel channel = spooled.channel()) {
            Digest digest = Digest.of(sha);
            if (expected != null && !expected.equals(digest)) {
                throw new DigestMismatchException(expected, digest, "blob store " + where + ": verify upload");
            }
            return store(spooled.path(), channel, digest, size);
        } finally {
            Files.deleteIfExists(spooled.path());
        }
    }

    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            spooled.channel().close();
            Files.deleteIfExists(spooled.path());
        }
    }
}
