package ai.sandbox0.server.identity.oidc;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where a browser login may send its result, as upstream allows: tokens only to a CLI listening on this
 * machine's loopback interface, one-time login codes also to this server's own public host. Anything else
 * gets no redirect, so a login link cannot hand credentials to another site.
 */
final class ReturnUrls {

    static final int MAX_LENGTH = 2048;

    private final Supplier<URI> publicUrl;

    ReturnUrls(Supplier<URI> publicUrl) {
        this.publicUrl = publicUrl;
    }

    /** An absolute http(s) URL without user info or fragment, or empty. */
    static Optional<URI> parse(String raw) {
        if (raw == null || raw.isBlank() || raw.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(raw.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
                return Optional.empty();
            }
            return Optional.of(uri);
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    /** A CLI's local callback: http(s) on localhost, 127.0.0.1 or ::1. */
    static boolean isLoopback(String raw) {
        return parse(raw).filter(uri -> isLoopbackHost(uri.getHost())).isPresent();
    }

    /** Where a web login may hand over its one-time code: a loopback URL, or this server's public host. */
    boolean webAllowed(String raw) {
        Optional<URI> parsed = parse(raw);
        if (parsed.isEmpty()) {
            return false;
        }
        URI uri = parsed.get();
        if (isLoopbackHost(uri.getHost())) {
            return true;
        }
        URI own = publicUrl.get();
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        return own.getHost() != null && uri.getHost().equalsIgnoreCase(own.getHost())
                && (scheme.equals("https") || scheme.equalsIgnoreCase(own.getScheme()));
    }

    private static boolean isLoopbackHost(String host) {
        String bare = host.toLowerCase(Locale.ROOT);
        if (bare.startsWith("[") && bare.endsWith("]")) {
            bare = bare.substring(1, bare.length() - 1);
        }
        return bare.equals("localhost") || bare.equals("127.0.0.1") || bare.equals("::1")
                || bare.equals("0:0:0:0:0:0:0:1");
    }
}
