package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import ai.sandbox0.server.http.ApiException;

/** What a sandbox's configuration must satisfy at claim and update (spec §2.1), with upstream's messages. */
final class ClaimRules {

    private ClaimRules() {
    }

    static void check(SandboxConfig config) {
        check(config, "invalid claim request: ");
    }

    static void check(SandboxConfig config, String prefix) {
        Integer ttl = config.ttl();
        Integer hardTtl = config.hardTtl();
        if (ttl != null && ttl < 0) {
            throw ApiException.badRequest(prefix + "ttl must be >= 0");
        }
        if (hardTtl != null && hardTtl < 0) {
            throw ApiException.badRequest(prefix + "hard_ttl must be >= 0");
        }
        if (ttl != null && hardTtl != null && ttl > 0 && hardTtl > 0 && ttl > hardTtl) {
            throw ApiException.badRequest(prefix + "ttl must be <= hard_ttl");
        }
        boolean autoResume = config.autoResume() == null || config.autoResume();
        if (!autoResume && config.services() != null) {
            for (SandboxAppService service : config.services()) {
                if (service.ingress() == null || service.ingress().routes() == null) {
                    continue;
                }
                for (SandboxAppServiceRoute route : service.ingress().routes()) {
                    if (Boolean.TRUE.equals(route.resume())) {
                        throw ApiException.badRequest("cannot set resume=true on public routes when sandbox auto_resume is disabled");
                    }
                }
            }
        }
    }
}
