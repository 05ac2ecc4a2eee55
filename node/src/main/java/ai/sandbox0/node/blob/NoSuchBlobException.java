package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.IOException;

/** The store has no blob with this digest. */
public final class NoSuchBlobException extends IOException {

    private final transient Digest digest;

    public NoSuchBlobException(Digest digest, String where) {
        super("no blob " + digest + " in " + where);
        this.digest = digest;
    }

    public Digest digest() {
        return digest;
    }
}
