package ai.sandbox0.server.template;

import ai.sandbox0.api.common.Message;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** {@code /api/v1/templates}: list, get, create, replace and delete (spec §5.2). */
public final class TemplateEndpoints {

    private final TemplateCatalog catalog;

    public TemplateEndpoints(TemplateCatalog catalog) {
        this.catalog = catalog;
    }

    public List<Route> routes() {
        return List.of(
                Route.requires(Permission.TEMPLATE_READ, "GET", "/api/v1/templates",
                        call -> Reply.ok(catalog.list(call.principal()))),
                Route.requires(Permission.TEMPLATE_READ, "GET", "/api/v1/templates/{id}",
                        call -> Reply.ok(catalog.get(call.principal(), call.pathParam("id")))),
                Route.requires(Permission.TEMPLATE_CREATE, "POST", "/api/v1/templates", this::create),
                Route.requires(Permission.TEMPLATE_WRITE, "PUT", "/api/v1/templates/{id}", this::update),
                Route.requires(Permission.TEMPLATE_DELETE, "DELETE", "/api/v1/templates/{id}", call -> {
                    catalog.delete(call.principal(), call.pathParam("id"));
                    return Reply.ok(new Message("template deleted"));
                }));
    }

    private Reply create(Call call) {
        JsonNode body = objectBody(call);
        JsonNode id = body.get("template_id");
        if (id != null && !id.isTextual()) {
            throw ApiException.badRequest("invalid value for field 'template_id': expected a string");
        }
        SandboxTemplateSpec spec = spec(call, body);
        return Reply.created(catalog.create(call.principal(), id == null ? null : id.asText(), spec));
    }

    private Reply update(Call call) {
        SandboxTemplateSpec spec = spec(call, objectBody(call));
        return Reply.ok(catalog.update(call.principal(), call.pathParam("id"), spec));
    }

    private SandboxTemplateSpec spec(Call call, JsonNode body) {
        JsonNode spec = body.get("spec");
        catalog.rules().checkRaw(spec);
        return call.convert(spec, SandboxTemplateSpec.class, "spec");
    }

    private static JsonNode objectBody(Call call) {
        JsonNode body = call.bodyTree();
        if (!body.isObject()) {
            throw ApiException.badRequest("request body must be an object in JSON");
        }
        return body;
    }
}
