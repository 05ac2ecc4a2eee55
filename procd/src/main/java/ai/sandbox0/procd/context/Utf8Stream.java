package ai.sandbox0.procd.context;

import java.nio.charset.StandardCharsets;

/**
 * Turns a byte stream into text chunk by chunk without splitting a UTF-8 sequence across two frames:
 * an incomplete sequence at the end of a read waits for the next one. Invalid bytes become U+FFFD,
 * as they do when the upstream agent turns bytes into a JSON string.
 */
final class Utf8Stream {

    private byte[] carry = new byte[0];

    String decode(byte[] bytes) {
        byte[] in = bytes;
        if (carry.length > 0) {
            in = new byte[carry.length + bytes.length];
            System.arraycopy(carry, 0, in, 0, carry.length);
            System.arraycopy(bytes, 0, in, carry.length, bytes.length);
        }
        int cut = completePrefix(in);
        carry = cut == in.length ? new byte[0] : java.util.Arrays.copyOfRange(in, cut, in.length);
        return new String(in, 0, cut, StandardCharsets.UTF_8);
    }

    /** Whatever is left at EOF, replacement characters included. */
    String flush() {
        String rest = new String(carry, StandardCharsets.UTF_8);
        carry = new byte[0];
        return rest;
    }

    private static int completePrefix(byte[] in) {
        int n = in.length;
        for (int back = 1; back <= 3 && back <= n; back++) {
            int b = in[n - back] & 0xff;
            if ((b & 0xc0) == 0x80) {
                continue; // continuation byte: look further back for the lead
            }
            int need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
