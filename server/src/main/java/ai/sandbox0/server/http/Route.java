package ai.sandbox0.server.http;

import ai.sandbox0.server.auth.Permission;
import java.util.Objects;

/**
 * One operation of the API: method, URI template ({@code /api/v1/sandboxes/{id}}), who may call it and
 * what answers it. Access is declared here, once per route, and checked by {@link ApiHandler} before the
 * endpoint runs; endpoints do no access checks of their own beyond the ownership of what they touch.
 */
public record Route(String method, String template, Access access, Endpoint endpoint) {

    /** Who may call a route. */
    public sealed interface Access {

        /** No credentials: health, metadata, login. */
        record Open() implements Access {
        }

        /** Any valid credential. */
        record Authenticated() implements Access {
        }

        /** A credential acting for a user (a user session, or an API key of a user). */
        record User() implements Access {
        }

        /** A user session (a JWT); API keys are refused with 403. */
        record UserSession() implements Access {
        }

        /** A credential whose roles in the selected team grant {@code permission}. */
        record Requires(Permission permission) implements Access {
        }

        /**
         * A user session whose roles in the selected team grant {@code permission}: what only a person
         * logged in may do, such as managing API keys (an API key must not mint or revoke keys).
         */
        record UserSessionRequires(Permission permission) implements Access {
        }
    }

    public Route {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(endpoint, "endpoint");
    }

    public boolean open() {
        return access instanceof Access.Open;
    }

    public static Route open(String method, String template, Endpoint endpoint) {
        return new Route(method, template, new Access.Open(), endpoint);
    }

    public static Route authenticated(String method, String template, Endpoint endpoint) {
        return new Route(method, template, new Access.Authenticated(), endpoint);
    }

    public static Route user(String method, String template, Endpoint endpoint) {
        return new Route(method, template, new Access.User(), endpoint);
    }

    public static Route userSession(String method, String template, Endpoint endpoint) {
        return new Route(method, template, new Access.UserSession(), endpoint);
    }

    public static Route requires(Permission permission, String method, String template, Endpoint endpoint) {
        return new Route(method, template, new Access.Requires(Objects.requireNonNull(permission, "permission")),
                endpoint);
    }

    public static Route userSessionRequires(Permission permission, String method, String template, Endpoint endpoint) {
        return new Route(method, template,
                new Access.UserSessionRequires(Objects.requireNonNull(permission, "permission")), endpoint);
    }
}
