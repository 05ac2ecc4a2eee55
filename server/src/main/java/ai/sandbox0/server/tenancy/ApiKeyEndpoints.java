package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.common.Message;
import ai.sandbox0.api.tenancy.ApiKeyList;
import ai.sandbox0.api.tenancy.CreateApiKeyRequest;
import ai.sandbox0.api.tenancy.CreateApiKeyResponse;
import ai.sandbox0.api.tenancy.CurrentApiKeyPayload;
import ai.sandbox0.api.tenancy.CurrentApiKeyResponse;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code /api-keys}: introspection for API keys, and management for people logged in whose role grants
 * {@code apikey:manage} in the selected team (declared in the route table; an API key gets 403). Keys are
 * managed within that team: a key of another team is 403, as upstream answers.
 */
public final class ApiKeyEndpoints {

    private static final Pattern UUID_FORMAT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final ApiKeyStore keys;
    private final ApiKeyAuthenticator authenticator;
    private final ApiKeyUsage usage;
    private final String region;
    private final Clock clock;
    private final SecureRandom random;

    public ApiKeyEndpoints(ApiKeyStore keys, ApiKeyAuthenticator authenticator, ApiKeyUsage usage, String region,
            Clock clock, SecureRandom random) {
        this.keys = keys;
        this.authenticator = authenticator;
        this.usage = usage;
        this.region = region;
        this.clock = clock;
        this.random = random;
    }

    public List<Route> routes() {
        Permission manage = Permission.APIKEY_MANAGE;
        return List.of(
                Route.authenticated("GET", "/api-keys/current", this::current),
                Route.userSessionRequires(manage, "GET", "/api-keys", this::list),
                Route.userSessionRequires(manage, "POST", "/api-keys", this::create),
                Route.userSessionRequires(manage, "DELETE", "/api-keys/{id}", this::delete),
                Route.userSessionRequires(manage, "POST", "/api-keys/{id}/deactivate", this::deactivate));
    }

    /** Upstream answers this only for API keys; a user session gets a 401. */
    private Reply current(Call call) {
        Principal caller = call.principal();
        if (caller.apiKeyId() == null) {
            throw new AuthenticationFailure("api key authentication required");
        }
        ApiKey key = keys.findById(caller.apiKeyId())
                .orElseThrow(() -> new AuthenticationFailure("invalid api key"));
        var view = new CurrentApiKeyResponse(key.id(), key.teamId(), key.createdBy(), key.scope().wire(),
                wire(key.roles()), caller.permissions().stream().map(Permission::wire).sorted().toList(),
                key.active(), key.expiresAt());
        return Reply.ok(new CurrentApiKeyPayload(view));
    }

    /** The selected team's keys, newest first; platform keys only for system admins. */
    private Reply list(Call call) {
        Principal caller = call.principal();
        var visible = keys.ofTeam(caller.teamId()).stream()
                .filter(key -> key.scope() != ApiKeyScope.PLATFORM || caller.systemAdmin())
                .map(ApiKeyEndpoints::listed)
                .toList();
        return Reply.ok(new ApiKeyList(visible));
    }

    private Reply create(Call call) {
        Principal caller = call.principal();
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        NewApiKey wanted = NewApiKey.of(call.body(CreateApiKeyRequest.class), caller, now);
        String token = ApiKeyToken.generate(region, random);
        var key = new ApiKey(UUID.randomUUID().toString(), ApiKeyToken.displayPrefix(token), wanted.name(),
                caller.teamId(), caller.userId(), caller.userId(), wanted.scope(), wanted.roles(), true,
                wanted.expiresAt(), null, 0, now, now);
        keys.insert(key, ApiKeyToken.digest(token));
        return Reply.created(new CreateApiKeyResponse(key.id(), key.name(), key.scope().wire(), wire(key.roles()),
                key.teamId(), token, key.expiresAt(), key.createdAt()));
    }

    private Reply delete(Call call) {
        ApiKey key = mutable(call, "delete");
        if (!keys.delete(key.id())) {
            throw ApiException.notFound("API key not found");
        }
        usage.forget(key.id());
        authenticator.forget(key.id());
        return Reply.ok(new Message("API key deleted"));
    }

    private Reply deactivate(Call call) {
        ApiKey key = mutable(call, "deactivate");
        if (!keys.deactivate(key.id(), clock.instant())) {
            throw ApiException.notFound("API key not found");
        }
        authenticator.forget(key.id());
        return Reply.ok(new Message("API key deactivated"));
    }

    /** The key named in the path, if the caller may change it. */
    private ApiKey mutable(Call call, String action) {
        Principal caller = call.principal();
        String id = call.pathParam("id");
        if (!UUID_FORMAT.matcher(id).matches()) {
            throw ApiException.badRequest("invalid API key id: must be a UUID");
        }
        ApiKey key = keys.findById(id.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> ApiException.notFound("API key not found"));
        if (key.scope() == ApiKeyScope.PLATFORM && !caller.systemAdmin()) {
            throw ApiException.forbidden("not authorized to " + action + " this API key");
        }
        if (!key.teamId().equals(caller.teamId())) {
            throw ApiException.forbidden("not authorized to " + action + " this API key: it belongs to a team"
                    + " other than the selected one");
        }
        return key;
    }

    /** A key as listed: its stored prefix stands for the secret, which is never kept. */
    private static ai.sandbox0.api.tenancy.ApiKey listed(ApiKey key) {
        return new ai.sandbox0.api.tenancy.ApiKey(key.id(), key.keyPrefix() + "***", key.teamId(), key.userId(),
                key.createdBy(), key.name(), key.scope().wire(), wire(key.roles()), key.active(), key.expiresAt(),
                key.lastUsedAt(), key.usageCount(), key.createdAt(), key.updatedAt());
    }

    private static List<String> wire(List<Role> roles) {
        return roles.stream().map(Role::wire).toList();
    }
}
