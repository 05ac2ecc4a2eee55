package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.ClaimMountRequest;
import ai.sandbox0.api.sandbox.MountState;
import ai.sandbox0.api.sandbox.MountStatus;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.api.template.VolumeMountSpec;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException.NotFound;
import ai.sandbox0.server.sandbox.SandboxHost.VolumeMount;
import ai.sandbox0.server.volume.VolumeMounts;
import ai.sandbox0.server.volume.VolumeRecord;
import ai.sandbox0.server.volume.VolumeStore;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sandbox volumes a sandbox mounts (spec §1.4): what a claim may mount (a mount point its template
 * declares, a volume of the caller's team, an access mode that fits the template's mount), the holds kept from
 * the claim until the sandbox is deleted (paused ones keep theirs, so a resume mounts the same volumes again),
 * and how they show in the API. A fork starts without any, as upstream's does.
 */
public final class SandboxVolumes {

    private final VolumeStore volumes;
    private final VolumeMounts holds;
    private final Clock clock;
    private final java.util.function.Consumer<String> letGo;

    /** @param holds the server's one {@link VolumeMounts}: it serialises the RWO check across every caller */
    public SandboxVolumes(VolumeStore volumes, VolumeMounts holds, Clock clock) {
        this(volumes, holds, clock, volume -> { });
    }

    /** @param letGo told of each volume a deleted sandbox held writable (to seal its last writes now) */
    public SandboxVolumes(VolumeStore volumes, VolumeMounts holds, Clock clock, java.util.function.Consumer<String> letGo) {
        this.volumes = volumes;
        this.holds = holds;
        this.clock = clock;
        this.letGo = letGo;
    }

    /**
     * What a claim's run mounts, in the claim's order ({@code requested} passed {@link ClaimRules#mounts}): 400
     * when the template does not declare a mount point or a volume's access mode does not fit its mount (ROX
     * needs a read-only mount, RWX cannot be mounted), 404 when the volume is not the caller team's. An RWO
     * volume on a read-only mount is mounted read-only.
     */
    List<VolumeMount> plan(String teamId, String templateId, SandboxTemplateSpec spec, List<ClaimMountRequest> requested) {
        if (requested.isEmpty()) {
            return List.of();
        }
        Map<String, VolumeMountSpec> declared = new HashMap<>();
        if (spec.volumeMounts() != null) {
            spec.volumeMounts().forEach(m -> declared.put(m.mountPath(), m));
        }
        String prefix = "invalid claim request: ";
        for (int i = 0; i < requested.size(); i++) {
            if (!declared.containsKey(requested.get(i).mountPoint())) {
                throw new Invalid(prefix + "mounts[" + i + "].mount_point \"" + requested.get(i).mountPoint()
                        + "\" is not declared by template " + templateId);
            }
        }
        var plan = new ArrayList<VolumeMount>(requested.size());
        for (ClaimMountRequest mount : requested) {
            VolumeRecord volume = volumes.findReady(teamId, mount.sandboxVolumeId())
                    .orElseThrow(() -> new NotFound("sandbox volume " + mount.sandboxVolumeId() + " not found"));
            boolean readOnlyMount = Boolean.TRUE.equals(declared.get(mount.mountPoint()).readOnly());
            boolean readOnly = switch (volume.accessMode()) {
                case RWO -> readOnlyMount;
                case ROX -> {
                    if (!readOnlyMount) {
                        throw new Invalid(prefix + "volume " + volume.id() + " is ROX but template mount "
                                + mount.mountPoint() + " is read-write");
                    }
                    yield true;
                }
                case RWX -> throw new Invalid(prefix + "volume " + volume.id() + " is RWX: RWX volumes cannot be"
                        + " mounted into sandboxes");
            };
            plan.add(new VolumeMount(volume.id(), mount.mountPoint(), readOnly));
        }
        return plan;
    }

    /**
     * Records the sandbox's holds, all or none: {@link VolumeMounts.Conflict} (409) when another sandbox holds
     * one of the volumes writable, or holds it at all and this one would write.
     */
    void hold(String sandboxId, List<VolumeMount> mounts) {
        if (mounts.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        holds.claim(sandboxId, mounts.stream()
                .map(m -> new VolumeMounts.Mount(m.volumeId(), sandboxId, m.mountPoint(), m.readOnly(), now))
                .toList());
    }

    /** What every run of the sandbox mounts, parents before the mounts nested in them. */
    List<VolumeMount> of(String sandboxId) {
        return inMountOrder(holds.ofSandbox(sandboxId).stream()
                .map(m -> new VolumeMount(m.volumeId(), m.mountPoint(), m.readOnly())).toList());
    }

    /** The order to mount in: a mount point sorts before every path below it. */
    static List<VolumeMount> inMountOrder(List<VolumeMount> mounts) {
        return mounts.stream().sorted(Comparator.comparing(VolumeMount::mountPoint)).toList();
    }

    /** Drops the holds of a sandbox that is gone (idempotent). */
    void release(String sandboxId) {
        List<String> writable = holds.ofSandbox(sandboxId).stream().filter(m -> !m.readOnly())
                .map(VolumeMounts.Mount::volumeId).toList();
        holds.release(sandboxId);
        writable.forEach(letGo);
    }

    /** {@code Sandbox.mounts}: what the claim asked for; null (absent) when nothing. */
    List<ClaimMountRequest> shown(String sandboxId) {
        List<ClaimMountRequest> shown = holds.ofSandbox(sandboxId).stream()
                .map(m -> new ClaimMountRequest(m.volumeId(), m.mountPoint())).toList();
        return shown.isEmpty() ? null : shown;
    }

    /**
     * The claim's {@code bootstrap_mounts}: every one mounted when the run came up (the node mounts them before
     * the sandbox's first process; a mount that fails fails the claim, as upstream's does); null when none.
     */
    static List<MountStatus> bootstrap(List<VolumeMount> mounts, Instant mountedAt) {
        if (mounts.isEmpty()) {
            return null;
        }
        return mounts.stream().map(m -> new MountStatus(m.volumeId(), m.mountPoint(), MountState.MOUNTED, mountedAt,
                0L, null, null)).toList();
    }
}
