package ai.sandbox0.api.service;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** CORS answers of a route. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxAppServiceRouteCors(
        List<String> allowedOrigins,
        List<String> allowedMethods,
        List<String> allowedHeaders,
        List<String> exposeHeaders,
        Boolean allowCredentials,
        Integer maxAgeSeconds) {

    public SandboxAppServiceRouteCors {
        allowedOrigins = Copies.list(allowedOrigins);
        allowedMethods = Copies.list(allowedMethods);
        allowedHeaders = Copies.list(allowedHeaders);
        exposeHeaders = Copies.list(exposeHeaders);
    }
}
