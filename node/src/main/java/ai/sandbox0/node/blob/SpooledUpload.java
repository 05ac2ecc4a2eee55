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
    /** Where the content goes after hashing: the spool file, through the cipher when there is one. */
    private final OutputStream sink;
    private long size;
    private boolean done;

    protected SpooledUpload(UploadSpool.SpoolFile spooled, String where) throws IOException {
        this(spooled, where, null);
    }

    /** An upload spooled encrypted by {@code cipher} (null: as it is). */
    protected SpooledUpload(UploadSpool.SpoolFile spooled, String where, BlobCipher cipher) throws IOException {
        this.spooled = spooled;
        this.where = where;
        OutputStream file = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                while (buffer.hasRemaining()) {
                    spooled.channel().write(buffer);
                }
            }

            @Override
            public void close() {
                // the store still reads the channel back after the cipher's last segment
            }
        };
        this.sink = cipher == null ? file : cipher.encrypting(file);
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
                sink.write(b, off, len);
                size += len;
            }

            @Override
            public void close() {
                // committing is explicit; a wrapper closing us must not end the upload
            }
        };
    }

    /**
     * Keeps the spooled file ({@code storedBytes} long: the content, or its ciphertext) as the blob
     * {@code digest}: the channel is still open (for a store that reads the file back) and the file is
     * removed afterwards unless this moved it.
     */
    protected abstract void store(Path file, FileChannel channel, Digest digest, long storedBytes) throws IOException;

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
            sink.close();
            Digest digest = Digest.of(sha);
            if (expected != null && !expected.equals(digest)) {
                throw new DigestMismatchException(expected, digest, "blob store " + where + ": verify upload");
            }
            store(spooled.path(), channel, digest, channel.size());
            return new Blob(digest, size);
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
