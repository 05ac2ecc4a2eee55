package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.api.common.Message;
import ai.sandbox0.api.tenancy.IdentityList;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.util.List;

/** {@code /users/me/identities}: the OIDC accounts linked to the calling user. */
public final class IdentityEndpoints {

    private final IdentityStore identities;

    public IdentityEndpoints(IdentityStore identities) {
        this.identities = identities;
    }

    public List<Route> routes() {
        return List.of(
                Route.user("GET", "/users/me/identities", this::list),
                Route.user("DELETE", "/users/me/identities/{id}", this::remove));
    }

    private Reply list(Call call) {
        return Reply.ok(new IdentityList(identities.of(call.principal().userId()).stream()
                .map(LinkedIdentity::view).toList()));
    }

    private Reply remove(Call call) {
        return switch (identities.remove(call.principal().userId(), call.pathParam("id"))) {
            case REMOVED -> Reply.ok(new Message("identity removed"));
            case NOT_FOUND -> throw ApiException.notFound("identity not found");
            case LAST_METHOD -> throw ApiException.badRequest("cannot remove last authentication method");
        };
    }
}
