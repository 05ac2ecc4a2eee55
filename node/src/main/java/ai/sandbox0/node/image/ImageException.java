package ai.sandbox0.node.image;

import java.io.IOException;

/** An image could not be resolved, built or imported; the message names the image and the step. */
public final class ImageException extends IOException {

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
