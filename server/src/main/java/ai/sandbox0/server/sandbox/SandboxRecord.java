package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.layer.LayerChain;
import ai.sandbox0.server.template.TemplateScope;
import java.time.Instant;

/**
 * A sandbox as the store keeps it: identity, the template spec it was claimed with, its configuration,
 * where it is in its lifecycle, the node run serving it (none while paused) and the rootfs it resumes
 * from. Deadlines are null when unset.
 */
public record SandboxRecord(
        String id,
        String teamId,
        String userId,
        String templateId,
        TemplateScope templateScope,
        SandboxTemplateSpec spec,
        SandboxConfig config,
        SandboxLifecycleStatus status,
        String statusReason,
        long runtimeGeneration,
        String nodeSandboxId,
        LayerChain rootfs,
        Instant expiresAt,
        Instant hardExpiresAt,
        Instant claimedAt,
        Instant createdAt,
        Instant updatedAt) {

    public SandboxRecord withStatus(SandboxLifecycleStatus next, String reason, Instant now) {
        return new SandboxRecord(id, teamId, userId, templateId, templateScope, spec, config, next, reason,
                runtimeGeneration, nodeSandboxId, rootfs, expiresAt, hardExpiresAt, claimedAt, createdAt, now);
    }

    /** Now served by {@code nodeSandboxId} (null: no runtime). */
    public SandboxRecord withRuntime(String nodeId, long generation, Instant now) {
        return new SandboxRecord(id, teamId, userId, templateId, templateScope, spec, config, status, statusReason,
                generation, nodeId, rootfs, expiresAt, hardExpiresAt, claimedAt, createdAt, now);
    }

    public SandboxRecord withRootfs(LayerChain chain, Instant now) {
        return new SandboxRecord(id, teamId, userId, templateId, templateScope, spec, config, status, statusReason,
                runtimeGeneration, nodeSandboxId, chain, expiresAt, hardExpiresAt, claimedAt, createdAt, now);
    }

    public SandboxRecord withConfig(SandboxConfig next, Instant expires, Instant hardExpires, Instant now) {
        return new SandboxRecord(id, teamId, userId, templateId, templateScope, spec, next, status, statusReason,
                runtimeGeneration, nodeSandboxId, rootfs, expires, hardExpires, claimedAt, createdAt, now);
    }

    public boolean autoResume() {
        return config.autoResume() == null || config.autoResume();
    }

    public boolean paused() {
        return status == SandboxLifecycleStatus.PAUSED && nodeSandboxId == null;
    }
}
