package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.ClaimMountRequest;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.WebhookConfig;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.network.NetworkRules;
import ai.sandbox0.server.service.ServiceRules;
import ai.sandbox0.server.template.TemplateRules;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        boolean autoResume = config.autoResume() == null || config.autoResume();
        if (!autoResume && config.services() != null) {
            // Checked on the services as given, before their own rules, as upstream's handlers do.
            for (SandboxAppService service : config.services()) {
                if (service == null || service.ingress() == null || service.ingress().routes() == null) {
                    continue;
                }
                for (SandboxAppServiceRoute route : service.ingress().routes()) {
                    if (Boolean.TRUE.equals(route.resume())) {
                        throw new Invalid("cannot set resume=true on public routes when sandbox auto_resume is disabled");
                    }
                }
            }
        }
        List<SandboxAppService> services;
        try {
            services = ServiceRules.normalize(config.services());
            NetworkRules.shape(config.network(), "network");
        } catch (Invalid e) {
            throw new Invalid(prefix + e.getMessage());
        }
        webhook(config.webhook(), prefix);
        return new SandboxConfig(config.envVars(), ttl, hardTtl, config.network(), config.webhook(), config.autoResume(),
                services);
    }

    /**
     * The claim's volume mounts as the lifecycle uses them (spec §1.4): ids trimmed, mount points cleaned
     * ({@code /data/} is {@code /data}). 400 for a missing id or mount point, one that is not absolute, is
     * {@code /}, has a {@code ..} segment or is reserved for the runtime, a volume named twice, or two volumes on
     * one mount point. Whether the template declares each mount point is the template's to say.
     */
    static List<ClaimMountRequest> mounts(List<ClaimMountRequest> mounts) {
        String prefix = "invalid claim request: ";
        if (mounts == null || mounts.isEmpty()) {
            return List.of();
        }
        var out = new ArrayList<ClaimMountRequest>(mounts.size());
        Set<String> volumes = new HashSet<>();
        Map<String, String> points = new HashMap<>();
        for (int i = 0; i < mounts.size(); i++) {
            ClaimMountRequest mount = mounts.get(i);
            String where = "mounts[" + i + "]";
            String id = mount.sandboxVolumeId() == null ? "" : mount.sandboxVolumeId().strip();
            if (id.isEmpty()) {
                throw new Invalid(prefix + where + ".sandboxvolume_id is required");
            }
            String point = mountPoint(prefix, where, mount.mountPoint());
            if (!volumes.add(id)) {
                throw new Invalid(prefix + "duplicate sandboxvolume_id \"" + id + "\" in claim mounts");
            }
            if (points.putIfAbsent(point, id) != null) {
                throw new Invalid(prefix + "duplicate mount_point \"" + point + "\" in claim mounts");
            }
            out.add(new ClaimMountRequest(id, point));
        }
        return out;
    }

    private static String mountPoint(String prefix, String where, String raw) {
        String given = raw == null ? "" : raw.strip();
        if (given.isEmpty()) {
            throw new Invalid(prefix + where + ".mount_point is required");
        }
        String point;
        try {
            point = Path.of(given).normalize().toString();
        } catch (InvalidPathException e) {
            point = null;
        }
        if (point == null || !given.startsWith("/") || List.of(given.split("/")).contains("..")) {
            throw new Invalid(prefix + where + ".mount_point \"" + given + "\" is invalid: it must be an absolute"
                    + " path without '..'");
        }
        if (point.equals("/")) {
            throw new Invalid(prefix + where + ".mount_point must not be /");
        }
        if (TemplateRules.reserved(point)) {
            throw new Invalid(prefix + where + ".mount_point \"" + point + "\" uses a sandbox0 reserved path");
        }
        return point;
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
