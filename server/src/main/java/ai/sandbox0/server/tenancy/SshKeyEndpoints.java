package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.common.Message;
import ai.sandbox0.api.tenancy.CreateSshPublicKeyRequest;
import ai.sandbox0.api.tenancy.SshPublicKeyList;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code /users/me/ssh-keys}: the calling user's SSH public keys, by which the SSH gateway will know them.
 * Any authenticated caller acting as a user may manage their own keys; a key identifies one user only.
 */
public final class SshKeyEndpoints {

    static final int MAX_NAME_CHARS = 255;
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final SshKeyStore keys;
    private final Clock clock;

    public SshKeyEndpoints(SshKeyStore keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    public List<Route> routes() {
        String path = "/users/me/ssh-keys";
        return List.of(
                Route.user("GET", path, call -> Reply.ok(new SshPublicKeyList(keys.list(userId(call))))),
                Route.userSession("POST", path, this::add),
                Route.userSession("DELETE", path + "/{id}", call -> {
                    String user = userId(call);
                    String id = call.pathParam("id");
                    if (!UUID.matcher(id).matches()) {
                        throw ApiException.badRequest("ssh key id must be a UUID");
                    }
                    if (!keys.delete(user, id.toLowerCase(Locale.ROOT))) {
                        throw ApiException.notFound("SSH public key not found");
                    }
                    return Reply.ok(new Message("SSH public key deleted"));
                }));
    }

    private Reply add(Call call) {
        String user = userId(call);
        CreateSshPublicKeyRequest body = call.body(CreateSshPublicKeyRequest.class);
        String name = body.name() == null ? "" : body.name().strip();
        if (name.isEmpty()) {
            throw ApiException.badRequest("name is required");
        }
        if (name.length() > MAX_NAME_CHARS) {
            throw ApiException.badRequest("name must be at most " + MAX_NAME_CHARS + " characters");
        }
        if (body.publicKey() == null || body.publicKey().isBlank()) {
            throw ApiException.badRequest("public_key is required");
        }
        OpenSshPublicKey key = OpenSshPublicKey.parse(body.publicKey());
        return switch (keys.add(user, name, key, clock.instant())) {
            case SshKeyStore.Added.Created(var created) -> Reply.created(created);
            case SshKeyStore.Added.AlreadyYours(var existing) -> throw ApiException.conflict(
                    "you have already registered this SSH public key as '" + existing.name() + "' (id "
                            + existing.id() + ")");
            case SshKeyStore.Added.HeldByAnotherUser() -> throw ApiException.conflict(
                    "this SSH public key is registered to another user; a key can identify only one user,"
                            + " so generate a new key pair for this account");
            case SshKeyStore.Added.LimitReached(int limit) -> throw ApiException.conflict(
                    "you already have " + limit + " SSH public keys, the most a user may register; delete one first");
        };
    }

    /** Keys belong to users; the route table admits only callers acting for one. */
    private static String userId(Call call) {
        return call.principal().userId();
    }
}
