package ai.sandbox0.server.service;

import ai.sandbox0.api.service.SandboxServicesUpdateRequest;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.sandbox.SandboxManager;
import ai.sandbox0.server.sandbox.SandboxRecord;
import ai.sandbox0.server.domain.DomainException.Invalid;
import java.util.List;

/** {@code GET/PUT /api/v1/sandboxes/{id}/services} (spec §7.2). */
public final class ServiceEndpoints {

    private static final String SERVICES = "/api/v1/sandboxes/{id}/services";

    private final SandboxManager sandboxes;
    private final ExposureAddress address;

    public ServiceEndpoints(SandboxManager sandboxes, ExposureAddress address) {
        this.sandboxes = sandboxes;
        this.address = address;
    }

    public List<Route> routes() {
        return List.of(
                Route.requires(Permission.SANDBOX_READ, "GET", SERVICES, call -> {
                    SandboxRecord record = sandboxes.visible(call.principal(), call.pathParam("id"));
                    return Reply.ok(ServiceViews.response(record.id(), record.config().services(), address));
                }),
                Route.requires(Permission.SANDBOX_WRITE, "PUT", SERVICES, call -> {
                    SandboxServicesUpdateRequest request = call.optionalBody(SandboxServicesUpdateRequest.class);
                    if (request == null) {
                        throw new Invalid("services is required");
                    }
                    SandboxRecord record = sandboxes.updateServices(call.principal(), call.pathParam("id"),
                            request.services());
                    return Reply.ok(ServiceViews.response(record.id(), record.config().services(), address));
                }));
    }
}
