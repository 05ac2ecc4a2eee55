package ai.sandbox0.server.http;

import ai.sandbox0.server.auth.Permission;
import java.util.Objects;

/**
 * One operation of the API: method, URI template ({@code /api/v1/sandboxes/{id}}), who may call it and
 * what answers it. {@code permission} is null for routes any authenticated caller may use.
 */
public record Route(String method, String template, boolean open, Permission permission, Endpoint endpoint) {

    public Route {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(endpoint, "endpoint");
        if (open && permission != null) {
            throw new IllegalArgumentException("open route " + template + " cannot require " + permission);
        }
    }

    /** No credentials needed: health, readiness, metrics, metadata. */
    public static Route open(String method, String template, Endpoint endpoint) {
        return new Route(method, template, true, null, endpoint);
    }

    /** Any valid credential. */
    public static Route authenticated(String method, String template, Endpoint endpoint) {
        return new Route(method, template, false, null, endpoint);
    }

    /** A valid credential whose roles grant {@code permission}. */
    public static Route requires(Permission permission, String method, String template, Endpoint endpoint) {
        return new Route(method, template, false, Objects.requireNonNull(permission, "permission"), endpoint);
    }
}
