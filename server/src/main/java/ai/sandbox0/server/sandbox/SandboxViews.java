package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.ClaimMountRequest;
import ai.sandbox0.api.sandbox.Sandbox;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.sandbox.SandboxStatus;
import ai.sandbox0.api.sandbox.SandboxSummary;
import ai.sandbox0.api.snapshot.SandboxRootfsSnapshot;
import java.time.Instant;
import java.util.List;

/** Stored sandboxes and snapshots as the API shows them. */
final class SandboxViews {

    /** Upstream's "not set" for a timestamp. */
    static final Instant ZERO = Instant.parse("0001-01-01T00:00:00Z");

    private SandboxViews() {
    }

    static Instant orZero(Instant instant) {
        return instant == null ? ZERO : instant;
    }

    /** @param mounts the volumes the sandbox holds, as its claim asked for them (null: none) */
    static Sandbox detail(SandboxRecord s, List<ClaimMountRequest> mounts) {
        return new Sandbox(s.id(), s.templateId(), s.teamId(), s.userId(), s.status(), s.paused(), s.autoResume(),
                s.config().services(), mounts, podName(s), s.runtimeGeneration(), null, orZero(s.expiresAt()),
                orZero(s.hardExpiresAt()), s.claimedAt(), s.createdAt(), s.updatedAt(),
                s.status() == SandboxLifecycleStatus.FAILED || s.status() == SandboxLifecycleStatus.TERMINATING
                        ? s.statusReason() : null);
    }

    static SandboxSummary summary(SandboxRecord s) {
        return new SandboxSummary(s.id(), s.templateId(), s.status(), s.paused(), s.runtimeGeneration(), null,
                s.createdAt(), orZero(s.expiresAt()), orZero(s.hardExpiresAt()), s.updatedAt());
    }

    static SandboxStatus status(SandboxRecord s) {
        return new SandboxStatus(s.id(), s.templateId(), s.teamId(), s.userId(), podName(s), s.status(), s.claimedAt(),
                orZero(s.expiresAt()), orZero(s.hardExpiresAt()), s.createdAt());
    }

    static SandboxRootfsSnapshot snapshot(SnapshotStore.Snapshot s) {
        return new SandboxRootfsSnapshot(s.id(), s.sourceSandboxId(), s.name(), s.description(), s.createdAt(),
                orZero(s.expiresAt()));
    }

    /** The run serving the sandbox (upstream's pod), or empty while it has none. */
    private static String podName(SandboxRecord s) {
        return s.nodeSandboxId() == null ? "" : s.nodeSandboxId();
    }
}
