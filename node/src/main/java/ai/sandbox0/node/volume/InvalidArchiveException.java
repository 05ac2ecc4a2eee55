package ai.sandbox0.node.volume;

import java.io.IOException;

/** The tar stream is malformed, or breaks {@link ArchiveLimits} (then {@link #tooLarge} is true). */
public final class InvalidArchiveException extends IOException {

    private final boolean tooLarge;

    public InvalidArchiveException(String message, boolean tooLarge) {
        super(message);
        this.tooLarge = tooLarge;
    }

    public boolean tooLarge() {
        return tooLarge;
    }
}
