package ai.sandbox0.node.volume;

import java.io.IOException;

/** A write would take the volume past its limit (EDQUOT) or the node's pool is full (ENOSPC). */
public final class VolumeFullException extends IOException {

    public VolumeFullException(String message) {
        super(message);
    }
}
