package ai.sandbox0.server.credential;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.credential.CredentialSourceMetadata;
import ai.sandbox0.api.credential.CredentialSourceWriteRequest;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException.NotFound;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;

/**
 * {@code /api/v1/credential-sources}: a team's credential sources (spec §7.1). Answers carry metadata only; the
 * secret values are write-only.
 */
public final class CredentialSourceEndpoints {

    private static final String PATH = "/api/v1/credential-sources";
    /** Fields only the platform sets: where the material is kept. */
    private static final List<String> PLATFORM_FIELDS = List.of("storageKind", "externalRef");

    private final CredentialSourceStore store;
    private final Clock clock;

    public CredentialSourceEndpoints(CredentialSourceStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public List<Route> routes() {
        return List.of(
                Route.requires(Permission.CREDENTIALSOURCE_READ, "GET", PATH, call -> Reply.ok(
                        store.list(team(call)).stream().map(CredentialSourceStore.Source::metadata).toList())),
                Route.requires(Permission.CREDENTIALSOURCE_WRITE, "POST", PATH, this::create),
                Route.requires(Permission.CREDENTIALSOURCE_READ, "GET", PATH + "/{name}", call -> Reply.ok(
                        store.find(team(call), call.pathParam("name")).orElseThrow(CredentialSourceEndpoints::notFound)
                                .metadata())),
                Route.requires(Permission.CREDENTIALSOURCE_WRITE, "PUT", PATH + "/{name}", this::update),
                Route.requires(Permission.CREDENTIALSOURCE_DELETE, "DELETE", PATH + "/{name}", this::delete));
    }

    private Reply create(Call call) {
        CredentialSourceWriteRequest body = body(call);
        String name = CredentialSourceRules.checkName(body.name());
        CredentialMaterial material = CredentialSourceRules.material(body.resolverKind(), body.spec());
        CredentialSourceMetadata created = store.create(team(call), name, material, clock.instant())
                .orElseThrow(() -> new Conflict("credential source already exists"))
                .metadata();
        return Reply.created(created);
    }

    /** The path's name wins over the body's. */
    private Reply update(Call call) {
        CredentialSourceWriteRequest body = body(call);
        String name = CredentialSourceRules.checkName(call.pathParam("name"));
        CredentialMaterial material = CredentialSourceRules.material(body.resolverKind(), body.spec());
        return Reply.ok(store.update(team(call), name, material, clock.instant())
                .orElseThrow(CredentialSourceEndpoints::notFound)
                .metadata());
    }

    /** Idempotent, as upstream: an unknown name is already deleted. */
    private Reply delete(Call call) {
        return switch (store.delete(team(call), call.pathParam("name"))) {
            case CredentialSourceStore.Deletion.Deleted deleted -> Reply.ok(new Deleted(true));
            case CredentialSourceStore.Deletion.StillBound bound ->
                    throw new Conflict("credential source is still referenced by sandbox bindings");
        };
    }

    private static CredentialSourceWriteRequest body(Call call) {
        JsonNode body = tree(call);
        if (!body.isObject()) {
            throw new Invalid("request body must be an object in JSON");
        }
        JsonNode spec = body.get("spec");
        for (String field : PLATFORM_FIELDS) {
            if (given(body, field)) {
                throw new Invalid(field + " is set by the platform and cannot be written");
            }
            if (spec != null && given(spec, field)) {
                throw new Invalid("spec." + field + " is set by the platform and cannot be written");
            }
        }
        return call.convert(body, CredentialSourceWriteRequest.class, "");
    }

    /**
     * The body as a tree. A syntax error's message names only where it is: Jackson's own quotes the offending
     * token, which here could be a secret written without quotes.
     */
    private static JsonNode tree(Call call) {
        byte[] bytes = call.bytes();
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            throw new Invalid("request body is required");
        }
        try {
            return Json.mapper().readTree(bytes);
        } catch (StreamReadException e) {
            JsonLocation at = e.getLocation();
            throw new Invalid("malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column "
                    + at.getColumnNr()));
        } catch (IOException e) {
            throw new Invalid("request body is not JSON");
        }
    }

    /** A member with a value (null and "" count as absent, as in Go's zero values). */
    private static boolean given(JsonNode object, String field) {
        JsonNode value = object.get(field);
        return value != null && !value.isNull() && !(value.isTextual() && value.asText().isEmpty());
    }

    private static String team(Call call) {
        return call.principal().teamId();
    }

    private static NotFound notFound() {
        return new NotFound("credential source not found");
    }
}
