package ai.sandbox0.node.volume;

import java.io.IOException;

/** The volume is mounted in a sandbox, so it cannot be deleted or restored now. */
public final class VolumeBusyException extends IOException {

    public VolumeBusyException(String message) {
        super(message);
    }
}
