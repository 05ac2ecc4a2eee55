package ai.sandbox0.server.service;

import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceView;
import ai.sandbox0.api.service.SandboxServicesResponse;
import ai.sandbox0.api.service.ServiceRuntimeType;
import java.util.ArrayList;
import java.util.List;

/**
 * Services as {@code GET/PUT …/services} show them (spec §7.1–7.3): each with whether it could be published as
 * a function revision (a public service with routes and a runtime that can be started again) and, when public,
 * its URL.
 */
public final class ServiceViews {

    private ServiceViews() {
    }

    public static SandboxServicesResponse response(String sandboxId, List<SandboxAppService> services,
            ExposureAddress address) {
        var views = new ArrayList<SandboxAppServiceView>();
        for (SandboxAppService service : services == null ? List.<SandboxAppService>of() : services) {
            List<String> blockers = publishBlockers(service);
            views.add(SandboxAppServiceView.of(service, blockers.isEmpty(), blockers.isEmpty() ? null : blockers,
                    address.publicUrl(sandboxId, service).orElse(null)));
        }
        return new SandboxServicesResponse(sandboxId, views, address.exposureDomain());
    }

    /** Why a service cannot be published, in upstream's order; empty when it can. */
    public static List<String> publishBlockers(SandboxAppService service) {
        var blockers = new ArrayList<String>();
        var ingress = service.ingress();
        if (ingress == null || !Boolean.TRUE.equals(ingress.isPublic()) || ingress.routes() == null
                || ingress.routes().isEmpty()) {
            blockers.add("not_public");
        }
        var runtime = service.runtime();
        if (runtime == null || runtime.type() == null) {
            blockers.add("missing_runtime");
        } else if (runtime.type() == ServiceRuntimeType.MANUAL) {
            blockers.add("manual_runtime");
        } else if (runtime.type() == ServiceRuntimeType.CMD && (runtime.command() == null || runtime.command().isEmpty())) {
            blockers.add("missing_command");
        } else if (runtime.type() == ServiceRuntimeType.FUNCTION && runtime.function() == null) {
            blockers.add("missing_function");
        }
        return blockers;
    }
}
