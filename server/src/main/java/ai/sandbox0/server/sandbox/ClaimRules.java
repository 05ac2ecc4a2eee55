package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.WebhookConfig;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.network.NetworkRules;
import ai.sandbox0.server.service.ServiceRules;
import java.net.URI;
import java.util.List;

/** What a sandbox's configuration must satisfy at claim and update (spec §2.1), with upstream's messages. */
final class ClaimRules {

    private ClaimRules() {
    }

    /** Checks a claim's configuration and returns it as stored (services normalized). */
    static SandboxConfig check(SandboxConfig config) {
        return check(config, "invalid claim request: ");
    }

    static SandboxConfig check(SandboxConfig config, String prefix) {
        Integer ttl = config.ttl();
        Integer hardTtl = config.hardTtl();
        if (ttl != null && ttl < 0) {
            throw new Invalid(prefix + "ttl must be >= 0");
        }
        if (hardTtl != null && hardTtl < 0) {
            throw new Invalid(prefix + "hard_ttl must be >= 0");
        }
        if (ttl != null && hardTtl != null && ttl > 0 && hardTtl > 0 && ttl > hardTtl) {
            throw new Invalid(prefix + "ttl must be <= hard_ttl");
        }
        List<SandboxAppService> services;
        try {
            services = ServiceRules.normalize(config.services());
            NetworkRules.check(config.network(), "network");
        } catch (Invalid e) {
            throw new Invalid(prefix + e.getMessage());
        }
        webhook(config.webhook(), prefix);
        boolean autoResume = config.autoResume() == null || config.autoResume();
        if (!autoResume && services != null) {
            for (SandboxAppService service : services) {
                if (service.ingress() == null || service.ingress().routes() == null) {
                    continue;
                }
                for (SandboxAppServiceRoute route : service.ingress().routes()) {
                    if (Boolean.TRUE.equals(route.resume())) {
                        throw new Invalid("cannot set resume=true on public routes when sandbox auto_resume is disabled");
                    }
                }
            }
        }
        return new SandboxConfig(config.envVars(), ttl, hardTtl, config.network(), config.webhook(), config.autoResume(),
                services);
    }

    private static void webhook(WebhookConfig webhook, String prefix) {
        if (webhook == null) {
            return;
        }
        if (webhook.url() == null || webhook.url().isBlank()) {
            throw new Invalid(prefix + "webhook.url is required");
        }
        try {
            URI url = URI.create(webhook.url().strip());
            if (url.getHost() == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new Invalid(prefix + "webhook.url must be an absolute http or https URL");
        }
        if (webhook.watchDir() != null && !webhook.watchDir().isBlank() && !webhook.watchDir().startsWith("/")) {
            throw new Invalid(prefix + "webhook.watch_dir must be an absolute path");
        }
    }
}
