package ai.sandbox0.api.service;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** A path prefix of a service with its methods, auth, CORS and limits. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxAppServiceRoute(
        String id,
        String pathPrefix,
        // Empty means every method.
        List<String> methods,
        // Replaces path_prefix before forwarding; absent forwards the path unchanged.
        String rewritePrefix,
        SandboxAppServiceRouteAuth auth,
        SandboxAppServiceRouteCors cors,
        SandboxAppServiceRouteRateLimit rateLimit,
        Integer timeoutSeconds,
        // Whether a request may wake a paused sandbox. Required by the schema.
        Boolean resume) {

    public SandboxAppServiceRoute {
        methods = Copies.list(methods);
    }
}
