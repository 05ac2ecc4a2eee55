package ai.sandbox0.server.http;

import java.util.UUID;
import java.util.regex.Pattern;

/** {@code X-Request-Id}: the caller's, when it is a sane token, else a fresh one. */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    // Anything else could forge log lines or bloat them.
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

    private RequestIds() {
    }

    public static String accept(String offered) {
        if (offered != null && SANE.matcher(offered).matches()) {
            return offered;
        }
        return UUID.randomUUID().toString();
    }
}
