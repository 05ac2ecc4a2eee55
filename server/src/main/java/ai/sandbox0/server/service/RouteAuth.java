package ai.sandbox0.server.service;

import ai.sandbox0.api.service.SandboxAppServiceRouteAuth;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.eclipse.jetty.http.HttpFields;

/**
 * A route's own credential check (spec §7.4 step 6). Only SHA-256 digests are stored; the presented secret is
 * hashed and compared in constant time. API tokens play no part on public URLs.
 */
final class RouteAuth {

    private RouteAuth() {
    }

    /** Empty when the request may pass, else the 401 message. */
    static Optional<String> refusal(SandboxAppServiceRouteAuth auth, HttpFields request) {
        if (auth == null || auth.mode() == null) {
            return Optional.empty();
        }
        return switch (auth.mode()) {
            case NONE -> Optional.empty();
            case BEARER -> {
                String header = request.get("Authorization");
                String value = header == null ? "" : header.strip();
                if (!value.startsWith("Bearer ")) {
                    yield Optional.of("missing bearer token");
                }
                yield matches(value.substring("Bearer ".length()).strip(), auth.bearerTokenSha256()) ? Optional.empty()
                        : Optional.of("invalid bearer token");
            }
            case HEADER -> {
                String value = request.get(auth.headerName());
                yield matches(value == null ? "" : value, auth.headerValueSha256()) ? Optional.empty()
                        : Optional.of("invalid header credential");
            }
        };
    }

    private static boolean matches(String presented, String expectedHex) {
        byte[] expected;
        try {
            expected = HexFormat.of().parseHex(expectedHex == null ? "" : expectedHex.strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (expected.length != 32) {
            return false;
        }
        try {
            byte[] actual = MessageDigest.getInstance("SHA-256").digest(presented.getBytes(StandardCharsets.UTF_8));
            return MessageDigest.isEqual(actual, expected);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
