package ai.sandbox0.node.volume;

import java.io.IOException;

/** A body for one file went past the bound it was given; nothing of it was kept. */
public final class FileTooLargeException extends IOException {

    private final long maxBytes;

    public FileTooLargeException(String path, long maxBytes) {
        super(path + ": more than " + maxBytes + " bytes");
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
