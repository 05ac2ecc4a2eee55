package ai.sandbox0.server.volume;

import ai.sandbox0.api.volume.SandboxVolume;
import ai.sandbox0.api.volume.VolumeAccessMode;
import java.time.Instant;

/**
 * A stored volume. {@code state} is {@link State#READY} for every volume the API shows; the others mark an
 * operation a crash may have interrupted, finished or undone at startup.
 */
public record VolumeRecord(String id, String teamId, String userId, String sourceVolumeId, long defaultPosixUid,
        long defaultPosixGid, VolumeAccessMode accessMode, State state, long sizeBytes, Instant createdAt,
        Instant updatedAt) {

    public enum State { CREATING, READY, DELETING }

    public SandboxVolume view() {
        return new SandboxVolume(id, teamId, userId, sourceVolumeId, defaultPosixUid, defaultPosixGid, accessMode,
                createdAt, updatedAt);
    }

    public VolumeRecord withState(State newState, Instant now) {
        return new VolumeRecord(id, teamId, userId, sourceVolumeId, defaultPosixUid, defaultPosixGid, accessMode,
                newState, sizeBytes, createdAt, now);
    }
}
