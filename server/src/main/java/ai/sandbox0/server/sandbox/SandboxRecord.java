package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.server.template.TemplateScope;
import java.time.Instant;

/**
 * A sandbox as the store keeps it: identity, the template spec it was claimed with, its configuration,
 * where it is in its lifecycle, the host run serving it (none while paused) and the rootfs it resumes
 * from. Deadlines are null when unset. Build new ones with {@link #claimed} or {@link #forkOf}.
 *
 * <p>Runs and generations: {@code runtimeGeneration} counts the runs that came up (1 after the claim,
 * +1 per resume; the API shows it). {@code nodeSandboxId} names the run serving the sandbox, or the run
 * being started: while {@code resuming} it already names run {@code generation + 1} (recorded before
 * the start, so a crash mid-start can find it) and the generation is still the last one that ran; the
 * resume, or recovery adopting that run, then adds 1. A {@code failed} sandbox keeps the id of the run
 * whose checkpoint failed: its changes are still on the host until a checkpoint of it succeeds.
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

    /** A sandbox just claimed by {@code owner}: {@link Lifecycle#FIRST}, generation 1, no run yet. */
    public static SandboxRecord claimed(String id, Owner owner, TemplateRef template, SandboxConfig config,
            LayerChain rootfs, Deadlines deadlines, Instant now) {
        return new SandboxRecord(id, owner.teamId(), owner.userId(), template.templateId(), template.scope(),
                template.spec(), config, Lifecycle.FIRST, null, 1, null, rootfs, deadlines.soft(), deadlines.hard(),
                now, now, now);
    }

    /** A new paused sandbox of {@code owner} with the source's template, configuration, generation and rootfs. */
    public static SandboxRecord forkOf(SandboxRecord source, String id, Owner owner, Deadlines deadlines, Instant now) {
        return new SandboxRecord(id, owner.teamId(), owner.userId(), source.templateId, source.templateScope,
                source.spec, source.config, SandboxLifecycleStatus.PAUSED, null, source.runtimeGeneration, null,
                source.rootfs, deadlines.soft(), deadlines.hard(), now, now, now);
    }

    /** Who a sandbox belongs to. */
    public record Owner(String teamId, String userId) {
    }

    /** The template a sandbox was claimed from, with the spec as it was then. */
    public record TemplateRef(String templateId, TemplateScope scope, SandboxTemplateSpec spec) {
    }

    /** The soft (pause) and hard (delete) deadlines; null when unset. */
    public record Deadlines(Instant soft, Instant hard) {
    }

    /** The id of the run with generation {@code generation} of sandbox {@code sandboxId}. */
    public static String runId(String sandboxId, long generation) {
        return sandboxId + "-g" + generation;
    }

    /** The id of the run a resume starts next. */
    public String nextRunId() {
        return runId(id, runtimeGeneration + 1);
    }

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
