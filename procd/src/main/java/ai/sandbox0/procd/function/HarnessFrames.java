package ai.sandbox0.procd.function;

import java.util.function.Consumer;

/**
 * The frames procd and the harness exchange on their private pipes: one type byte, a big-endian
 * uint32 length, that many bytes. Decoding is incremental (pipe reads split frames anywhere) and
 * stops at the first frame over the cap, before its payload is buffered.
 */
public final class HarnessFrames {

    /** From procd: the invocation JSON (first and, for HTTP, only frame). */
    public static final byte INVOKE = 'I';
    /** Both ways on a WebSocket: a text message (UTF-8) and a binary one. */
    public static final byte TEXT = 'T';
    public static final byte BINARY = 'Y';
    /** From the harness: the function closed the WebSocket, {@code {"code","reason"}}. */
    public static final byte CLOSE = 'C';
    /** From the harness: the response head {@code {"status","headers":[[name,value]…],"stream"}}. */
    public static final byte HEAD = 'H';
    /** From the harness: a piece of the body, then the end of the response. */
    public static final byte BODY = 'B';
    public static final byte END = 'E';
    /** From the harness: the function raised ({@code Type: message}); its return value was not a response. */
    public static final byte FAILED = 'F';
    public static final byte INVALID = 'X';

    public record Frame(byte type, byte[] payload) {
    }

    private final int maxPayload;
    private final byte[] header = new byte[5];
    private int headerFill;
    private byte[] payload;
    private int payloadFill;
    private boolean over;

    HarnessFrames(int maxPayload) {
        this.maxPayload = maxPayload;
    }

    static byte[] encode(byte type, byte[] payload) {
        byte[] b = new byte[5 + payload.length];
        b[0] = type;
        b[1] = (byte) (payload.length >>> 24);
        b[2] = (byte) (payload.length >>> 16);
        b[3] = (byte) (payload.length >>> 8);
        b[4] = (byte) payload.length;
        System.arraycopy(payload, 0, b, 5, payload.length);
        return b;
    }

    /** Decodes what {@code bytes} completes; false once a frame was over the cap (nothing more is decoded). */
    boolean feed(byte[] bytes, Consumer<Frame> out) {
        int i = 0;
        while (i < bytes.length && !over) {
            if (payload == null) {
                int n = Math.min(5 - headerFill, bytes.length - i);
                System.arraycopy(bytes, i, header, headerFill, n);
                headerFill += n;
                i += n;
                if (headerFill < 5) {
                    break;
                }
                long length = ((header[1] & 0xffL) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8)
                        | (header[4] & 0xff);
                if (length > maxPayload) {
                    over = true;
                    break;
                }
                payload = new byte[(int) length];
                payloadFill = 0;
            } else {
                int n = Math.min(payload.length - payloadFill, bytes.length - i);
                System.arraycopy(bytes, i, payload, payloadFill, n);
                payloadFill += n;
                i += n;
            }
            if (payload != null && payloadFill == payload.length) {
                out.accept(new Frame(header[0], payload));
                payload = null;
                headerFill = 0;
            }
        }
        return !over;
    }
}
