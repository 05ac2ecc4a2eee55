package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.IOException;

/** A stored blob's bytes no longer hash to its key: it was damaged at rest or in transit. */
public final class CorruptBlobException extends IOException {

    private final transient Digest digest;

    public CorruptBlobException(Digest digest, Digest actual, String where) {
        super("blob " + digest + " in " + where + " is corrupt: its content hashes to " + actual);
        this.digest = digest;
    }

    public Digest digest() {
        return digest;
    }
}
