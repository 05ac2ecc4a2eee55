package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.tenancy.CurrentApiKeyPayload;
import ai.sandbox0.api.tenancy.CurrentApiKeyResponse;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.util.List;

/** {@code /api-keys/*}: introspection now; management arrives with users and sessions. */
public final class ApiKeyEndpoints {

    private final ApiKeyStore keys;

    public ApiKeyEndpoints(ApiKeyStore keys) {
        this.keys = keys;
    }

    public List<Route> routes() {
        return List.of(Route.authenticated("GET", "/api-keys/current", this::current));
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
                key.roles().stream().map(Role::wire).toList(),
                caller.permissions().stream().map(Permission::wire).sorted().toList(),
                key.active(), key.expiresAt());
        return Reply.ok(new CurrentApiKeyPayload(view));
    }
}
