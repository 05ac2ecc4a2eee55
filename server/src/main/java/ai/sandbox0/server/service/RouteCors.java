package ai.sandbox0.server.service;

import ai.sandbox0.api.service.SandboxAppServiceRoute;
import ai.sandbox0.api.service.SandboxAppServiceRouteCors;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;

/** A route's CORS policy (spec §7.4 steps 3 and 5): answers preflights itself and decorates other answers. */
final class RouteCors {

    /** What the policy made of a request. */
    sealed interface Outcome {
        /** Carry on (CORS headers, if any, are already on the response). */
        record Continue() implements Outcome {
        }

        /** A preflight answered in full: 204 with the allow headers. */
        record Preflight() implements Outcome {
        }

        /** Refused with this status and message. */
        record Refused(int status, String message) implements Outcome {
        }
    }

    private RouteCors() {
    }

    static Outcome apply(SandboxAppServiceRoute route, String method, HttpFields request, HttpFields.Mutable response) {
        SandboxAppServiceRouteCors cors = route.cors();
        String origin = request.get("Origin");
        if (cors == null || origin == null || origin.isEmpty()) {
            return new Outcome.Continue();
        }
        boolean preflight = method.equals("OPTIONS");
        String allowOrigin = allowedOrigin(origin, cors.allowedOrigins());
        if (allowOrigin == null) {
            return preflight ? new Outcome.Refused(403, "origin is not allowed") : new Outcome.Continue();
        }
        response.put("Access-Control-Allow-Origin", allowOrigin);
        response.put("Vary", "Origin");
        if (Boolean.TRUE.equals(cors.allowCredentials())) {
            response.put("Access-Control-Allow-Credentials", "true");
        }
        if (nonEmpty(cors.exposeHeaders())) {
            response.put("Access-Control-Expose-Headers", String.join(", ", cors.exposeHeaders()));
        }
        if (!preflight) {
            return new Outcome.Continue();
        }
        String requested = request.get("Access-Control-Request-Method");
        List<String> methods = nonEmpty(cors.allowedMethods()) ? cors.allowedMethods() : route.methods();
        if (requested != null && !requested.isBlank() && !RouteMatch.allowed(methods, requested.strip())) {
            return new Outcome.Refused(405, "method is not allowed");
        }
        if (nonEmpty(methods)) {
            response.put("Access-Control-Allow-Methods", String.join(", ", methods));
        }
        if (nonEmpty(cors.allowedHeaders())) {
            response.put("Access-Control-Allow-Headers", String.join(", ", cors.allowedHeaders()));
        }
        if (cors.maxAgeSeconds() != null && cors.maxAgeSeconds() > 0) {
            response.put("Access-Control-Max-Age", Integer.toString(cors.maxAgeSeconds()));
        }
        return new Outcome.Preflight();
    }

    private static String allowedOrigin(String origin, List<String> allowed) {
        if (allowed == null) {
            return null;
        }
        for (String candidate : allowed) {
            if (candidate.equals("*")) {
                return "*";
            }
            if (candidate.equalsIgnoreCase(origin)) {
                return origin;
            }
        }
        return null;
    }

    private static boolean nonEmpty(List<String> list) {
        return list != null && !list.isEmpty();
    }
}
