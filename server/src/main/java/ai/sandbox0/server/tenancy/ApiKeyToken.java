package ai.sandbox0.server.tenancy;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * API key secrets in the upstream format {@code s0_<region>_<48 hex>}. Only {@link #digest} of a key
 * is stored: 192 random bits need no salt or slow hash, and a digest lookup keeps auth cheap.
 */
public final class ApiKeyToken {

    /** Region ids are DNS-label-like; they appear inside the key. */
    public static final Pattern REGION = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern FORMAT = Pattern.compile("s0_[a-z0-9-]{1,63}_[0-9a-f]{48}");
    private static final int DISPLAY_PREFIX = 12;

    private ApiKeyToken() {
    }

    public static String generate(String region, SecureRandom random) {
        if (!REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("invalid region id: " + region);
        }
        var secret = new byte[24];
        random.nextBytes(secret);
        return "s0_" + region + "_" + HexFormat.of().formatHex(secret);
    }

    public static boolean isApiKey(String token) {
        return token.startsWith("s0_");
    }

    public static boolean isWellFormed(String token) {
        return FORMAT.matcher(token).matches();
    }

    public static String digest(String token) {
        return ai.sandbox0.server.auth.TokenDigest.of(token);
    }

    /** What listings may show of a key: enough to recognise it, never enough to use it. */
    public static String displayPrefix(String token) {
        return token.substring(0, Math.min(DISPLAY_PREFIX, token.length()));
    }
}
