package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * A blob's content as read from a store, hashed on the way: reaching the end of a blob whose bytes do
 * not hash to its key throws {@link CorruptBlobException} instead of handing out a damaged layer.
 * Only a read to the end is verified; a reader that stops early must drain the rest to be sure.
 */
public final class VerifyingInputStream extends FilterInputStream {

    private final Digest expected;
    private final String where;
    private final MessageDigest sha = Digest.newSha256();
    private boolean verified;

    public VerifyingInputStream(InputStream in, Digest expected, String where) {
        super(in);
        this.expected = expected;
        this.where = where;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b < 0) {
            verify();
        } else {
            sha.update((byte) b);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n < 0) {
            verify();
        } else {
            sha.update(b, off, n);
        }
        return n;
    }

    /** Skipped bytes are read and hashed all the same. */
    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        Digest actual = Digest.of(sha);
        if (!actual.equals(expected)) {
            throw new CorruptBlobException(expected, actual, where);
        }
        verified = true;
    }
}
