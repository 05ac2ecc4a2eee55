package ai.sandbox0.server.service;

import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import java.util.List;
import java.util.Optional;

/**
 * The route a public request takes (spec §7.4 step 2): among public services on the host's port, the route with
 * the longest matching {@code path_prefix}.
 */
record RouteMatch(SandboxAppService service, SandboxAppServiceRoute route) {

    static Optional<RouteMatch> find(List<SandboxAppService> services, int port, String path) {
        RouteMatch best = null;
        int bestLength = -1;
        for (SandboxAppService service : services == null ? List.<SandboxAppService>of() : services) {
            if (service.ingress() == null || !Boolean.TRUE.equals(service.ingress().isPublic())
                    || service.port() == null || service.port() != port || service.ingress().routes() == null) {
                continue;
            }
            for (SandboxAppServiceRoute route : service.ingress().routes()) {
                String prefix = prefix(route);
                if (matches(path, prefix) && prefix.length() > bestLength) {
                    best = new RouteMatch(service, route);
                    bestLength = prefix.length();
                }
            }
        }
        return Optional.ofNullable(best);
    }

    static String prefix(SandboxAppServiceRoute route) {
        return route.pathPrefix() == null || route.pathPrefix().isEmpty() ? "/" : route.pathPrefix();
    }

    /** {@code /} matches everything; {@code /api} matches {@code /api} and {@code /api/…}, never {@code /apix}. */
    static boolean matches(String path, String prefix) {
        if (prefix.equals("/") || path.equals(prefix)) {
            return true;
        }
        return path.startsWith(stripTrailingSlashes(prefix) + "/");
    }

    boolean methodAllowed(String method) {
        return allowed(route.methods(), method);
    }

    static boolean allowed(List<String> methods, String method) {
        if (methods == null || methods.isEmpty()) {
            return true;
        }
        for (String allowed : methods) {
            if (allowed.equals("*") || allowed.equalsIgnoreCase(method)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The path the sandbox sees (step 8): the route's prefix replaced by {@code rewrite_prefix}; unchanged without
     * one.
     */
    String upstreamPath(String path) {
        String rewrite = route.rewritePrefix();
        if (rewrite == null) {
            return path;
        }
        String prefix = prefix(route);
        if (!path.startsWith(prefix)) {
            return path; // "/api/" matched "/api" itself: nothing to strip
        }
        String rest = path.substring(prefix.length());
        String base = rewrite.isEmpty() ? "/" : rewrite;
        if (rest.isEmpty()) {
            return base;
        }
        return stripTrailingSlashes(base) + "/" + stripLeadingSlashes(rest);
    }

    private static String stripTrailingSlashes(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(0, end);
    }

    private static String stripLeadingSlashes(String s) {
        int start = 0;
        while (start < s.length() && s.charAt(start) == '/') {
            start++;
        }
        return s.substring(start);
    }
}
