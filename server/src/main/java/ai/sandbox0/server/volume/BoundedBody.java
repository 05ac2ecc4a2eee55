package ai.sandbox0.server.volume;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A request body passed on to the node with two bounds checked as it streams: the size one write may have,
 * and the room the team's quota leaves. Going past either fails the read with {@link Exceeded}, so nothing
 * beyond the bound reaches the volume.
 */
final class BoundedBody extends FilterInputStream {

    /** Which bound a body went past. */
    enum Bound { SIZE, QUOTA }

    /** The body went past {@link #bound()}. */
    static final class Exceeded extends IOException {
        private final Bound bound;

        Exceeded(Bound bound) {
            super("request body exceeds the " + (bound == Bound.SIZE ? "size limit" : "quota"));
            this.bound = bound;
        }

        Bound bound() {
            return bound;
        }
    }

    /** The client's body could not be read (it hung up, or sent less than it declared). */
    static final class Unreadable extends IOException {
        Unreadable(IOException cause) {
            super("cannot read request body: " + cause.getMessage(), cause);
        }
    }

    private final long maxBytes;
    private final long allowance;
    private long read;

    /** {@code maxBytes} bounds the body's size, {@code allowance} what it may add to the team's usage. */
    BoundedBody(InputStream in, long maxBytes, long allowance) {
        super(in);
        this.maxBytes = maxBytes;
        this.allowance = allowance;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = in.read(b, off, len);
        } catch (IOException e) {
            throw new Unreadable(e);
        }
        if (n > 0) {
            read += n;
            if (read > maxBytes) {
                throw new Exceeded(Bound.SIZE);
            }
            if (read > allowance) {
                throw new Exceeded(Bound.QUOTA);
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes are counted like read ones (a tar reader skips padding).
        byte[] scratch = new byte[(int) Math.min(8192, Math.max(1, n))];
        long skipped = 0;
        while (skipped < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
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

    /** The failure of this body behind {@code failure} (a bound, or the client), if that is why it failed. */
    static IOException bodyFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Exceeded || t instanceof Unreadable) {
                return (IOException) t;
            }
            for (Throwable suppressed : t.getSuppressed()) {
                if (suppressed instanceof Exceeded || suppressed instanceof Unreadable) {
                    return (IOException) suppressed;
                }
            }
        }
        return null;
    }
}
