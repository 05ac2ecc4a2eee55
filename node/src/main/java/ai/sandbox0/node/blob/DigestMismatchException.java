package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.IOException;

/** Content did not hash to the digest its source promised; nothing was stored. */
public final class DigestMismatchException extends IOException {

    public DigestMismatchException(Digest expected, Digest actual, String what) {
        super(what + ": expected " + expected + " but the content hashes to " + actual);
    }
}
