package ai.sandbox0.server.service;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Who asked, as the listener tells a sandbox: {@code X-Forwarded-For/Host/Proto} of its own, and none of the
 * identity headers a client may send (they could be forged, so they never pass). One rule for proxied requests,
 * WebSocket upgrades and function calls alike.
 */
final class ForwardedIdentity {

    /** Lower-case names of the identity headers a client's request loses. */
    private static final Set<String> CLIENT_CLAIMS = Set.of("forwarded", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "x-client-ip", "x-cluster-client-ip",
            "cf-connecting-ip", "true-client-ip", "fastly-client-ip");

    private ForwardedIdentity() {
    }

    /** Whether a request header is an identity claim of the client's, to be dropped. */
    static boolean isClientClaim(String name) {
        return CLIENT_CLAIMS.contains(name.toLowerCase(Locale.ROOT));
    }

    static Set<String> clientClaims() {
        return CLIENT_CLAIMS;
    }

    /** The listener's own identity headers for {@code request}, in the order they are sent. */
    static Map<String, String> of(Request request) {
        var headers = new LinkedHashMap<String, String>();
        headers.put("X-Forwarded-For", Request.getRemoteAddr(request));
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host == null) {
            host = request.getHttpURI().getAuthority();
        }
        if (host != null) {
            headers.put("X-Forwarded-Host", host);
        }
        headers.put("X-Forwarded-Proto", request.isSecure() ? "https" : "http");
        return headers;
    }
}
