package ai.sandbox0.server.volume;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A file read answered as JSON, {@code {"success":true,"data":{"content":"<base64>","encoding":"base64"}}},
 * produced as it is sent: the file is encoded a chunk at a time, never held whole.
 */
final class FileContentStream extends InputStream {

    private static final byte[] HEAD = "{\"success\":true,\"data\":{\"content\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAIL = "\",\"encoding\":\"base64\"}}".getBytes(StandardCharsets.US_ASCII);
    /** Raw bytes per chunk: a multiple of 3, so chunks encode without padding until the last. */
    private static final int CHUNK = 48 * 1024;

    private final InputStream file;
    private byte[] pending = HEAD;
    private int position;
    private boolean fileDone;
    private boolean tailSent;

    FileContentStream(InputStream file) {
        this.file = file;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (position == pending.length) {
            if (!refill()) {
                return -1;
            }
        }
        int n = Math.min(len, pending.length - position);
        System.arraycopy(pending, position, b, off, n);
        position += n;
        return n;
    }

    private boolean refill() throws IOException {
        position = 0;
        if (!fileDone) {
            byte[] raw = file.readNBytes(CHUNK);
            if (raw.length < CHUNK) {
                fileDone = true;
            }
            pending = Base64.getEncoder().encode(raw);
            return true;
        }
        if (!tailSent) {
            tailSent = true;
            pending = TAIL;
            return true;
        }
        pending = new byte[0];
        return false;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
