package ai.sandbox0.server.identity;

import ai.sandbox0.api.tenancy.UpdateUserRequest;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.net.URI;
import java.time.Clock;
import java.util.List;

/** {@code /users/me}: the calling user's profile. */
public final class UserEndpoints {

    private final UserStore users;
    private final Clock clock;

    public UserEndpoints(UserStore users, Clock clock) {
        this.users = users;
        this.clock = clock;
    }

    public List<Route> routes() {
        return List.of(
                Route.user("GET", "/users/me", this::me),
                Route.user("PUT", "/users/me", this::update));
    }

    private UserAccount caller(Call call) {
        return users.findById(call.principal().userId())
                .orElseThrow(() -> new AuthenticationFailure("user not found"));
    }

    private Reply me(Call call) {
        return Reply.ok(caller(call).view());
    }

    private Reply update(Call call) {
        UserAccount user = caller(call);
        UpdateUserRequest request = call.body(UpdateUserRequest.class);
        String name = user.name();
        if (request.name() != null) {
            name = request.name().strip();
            if (name.isEmpty()) {
                throw ApiException.badRequest("name cannot be whitespace");
            }
            if (name.length() > 255) {
                throw ApiException.badRequest("name must be at most 255 characters");
            }
        }
        String avatar = user.avatarUrl();
        if (request.avatarUrl() != null) {
            avatar = request.avatarUrl().strip();
            if (avatar.isEmpty()) {
                avatar = null;
            } else if (avatar.length() > 2048 || !isWebUrl(avatar)) {
                throw ApiException.badRequest("avatar_url must be an http or https URL of at most 2048 characters");
            }
        }
        users.updateProfile(user.id(), name, avatar, clock.instant());
        return Reply.ok(caller(call).view());
    }

    private static boolean isWebUrl(String value) {
        try {
            URI uri = new URI(value);
            return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }
}
