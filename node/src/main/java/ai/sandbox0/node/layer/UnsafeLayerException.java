package ai.sandbox0.node.layer;

import java.io.IOException;

/** A layer tried to write outside its root or to create what it may not; nothing of it is kept. */
public final class UnsafeLayerException extends IOException {

    public UnsafeLayerException(String entry, String reason) {
        super("refused layer entry '" + entry + "': " + reason);
    }
}
