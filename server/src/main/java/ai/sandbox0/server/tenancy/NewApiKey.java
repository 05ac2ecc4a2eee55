package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.tenancy.CreateApiKeyRequest;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.ApiException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A {@code POST /api-keys} request checked as upstream checks it, in upstream's order: name, lifetime,
 * scope, then roles. A caller can hand a key at most what they may do themselves; a platform key (which
 * acts as a system admin in any team) only a system admin logged in may create.
 */
public record NewApiKey(String name, ApiKeyScope scope, List<Role> roles, Instant expiresAt) {

    static final int MAX_NAME_CHARS = 255;
    private static final int ECHO_MAX = 64;

    public NewApiKey {
        roles = List.copyOf(roles);
    }

    /** The key {@code caller} asks for at {@code now}; a 400 or 403 naming the problem otherwise. */
    public static NewApiKey of(CreateApiKeyRequest request, Principal caller, Instant now) {
        String name = request.name() == null ? "" : request.name().strip();
        if (name.isEmpty()) {
            throw ApiException.badRequest("name is required");
        }
        if (name.length() > MAX_NAME_CHARS) {
            throw ApiException.badRequest("name must be at most " + MAX_NAME_CHARS + " characters");
        }
        Instant expiresAt = expiry(request.expiresIn(), now);
        ApiKeyScope scope = scope(request.scope());
        List<Role> roles;
        if (scope == ApiKeyScope.PLATFORM) {
            if (!(caller.isUserSession() && caller.systemAdmin())) {
                throw ApiException.forbidden("platform API keys require system admin user access");
            }
            if (request.roles() != null && !request.roles().isEmpty()) {
                throw ApiException.badRequest("platform API keys do not support roles");
            }
            roles = List.of();
        } else {
            roles = roles(request.roles());
            if (!caller.permissions().containsAll(permissionsOf(roles))) {
                throw ApiException.forbidden("cannot create API key with roles that grant permissions outside the"
                        + " caller's permissions");
            }
        }
        return new NewApiKey(name, scope, roles, expiresAt);
    }

    /** Upstream's lifetimes; days are calendar days in UTC, {@code never} about a century. */
    static Instant expiry(String expiresIn, Instant now) {
        ZonedDateTime from = now.atZone(ZoneOffset.UTC);
        String value = expiresIn == null ? "" : expiresIn.strip();
        ZonedDateTime until = switch (value) {
            case "", "90d" -> from.plusDays(90);
            case "30d" -> from.plusDays(30);
            case "180d" -> from.plusDays(180);
            case "365d" -> from.plusYears(1);
            case "never" -> from.plusYears(100);
            default -> throw ApiException.badRequest("unsupported expires_in '" + echo(value)
                    + "': one of 30d, 90d, 180d, 365d, never");
        };
        return until.toInstant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static ApiKeyScope scope(String requested) {
        String value = requested == null ? "" : requested.strip();
        if (value.isEmpty()) {
            return ApiKeyScope.TEAM;
        }
        return ApiKeyScope.fromWire(value)
                .orElseThrow(() -> ApiException.badRequest("scope must be team or platform"));
    }

    /** Absent or empty means developer (upstream's default); duplicates are dropped, order kept. */
    private static List<Role> roles(List<String> requested) {
        if (requested == null || requested.isEmpty()) {
            return List.of(Role.DEVELOPER);
        }
        var roles = new LinkedHashSet<Role>();
        for (String wire : requested) {
            String value = wire.strip();
            if (value.isEmpty()) {
                throw ApiException.badRequest("role cannot be empty");
            }
            roles.add(Role.fromWire(value).orElseThrow(() -> ApiException.badRequest("unsupported role: '"
                    + echo(value) + "' (one of admin, developer, builder, viewer)")));
        }
        return new ArrayList<>(roles);
    }

    private static Set<Permission> permissionsOf(List<Role> roles) {
        var all = new LinkedHashSet<Permission>();
        roles.forEach(role -> all.addAll(role.permissions()));
        return all;
    }

    private static String echo(String value) {
        return value.length() <= ECHO_MAX ? value : value.substring(0, ECHO_MAX) + "…";
    }
}
