package ai.sandbox0.procd.http;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.ProcdException;
import java.nio.charset.StandardCharsets;

/**
 * The per-sandbox bearer token, compared in constant time: every byte of the expected token is
 * visited whatever the presented one is, so neither a matching prefix nor the length leaks through
 * timing. (A plain loop rather than MessageDigest: loading the security providers costs ~10 ms of
 * startup.) The token is never logged or echoed.
 */
public final class BearerAuth {

    private final byte[] expected;

    public BearerAuth(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the procd token must not be empty");
        }
        this.expected = token.strip().getBytes(StandardCharsets.UTF_8);
    }

    public void check(String header) {
        if (header == null || header.isEmpty()) {
            throw new ProcdException(ErrorCode.UNAUTHORIZED, "missing authorization header");
        }
        if (header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ProcdException(ErrorCode.UNAUTHORIZED, "invalid authorization header format");
        }
        if (!constantTimeEquals(expected, header.substring(7).strip().getBytes(StandardCharsets.UTF_8))) {
            throw new ProcdException(ErrorCode.UNAUTHORIZED, "invalid token");
        }
    }

    static boolean constantTimeEquals(byte[] expected, byte[] given) {
        int diff = expected.length ^ given.length;
        for (int i = 0; i < expected.length; i++) {
            diff |= expected[i] ^ (i < given.length ? given[i] : 0);
        }
        return diff == 0;
    }
}
