package ai.sandbox0.server.sandbox;

/**
 * The host could not do what the lifecycle asked (a start, checkpoint or teardown failed, an image is
 * not available). The lifecycle decides what the sandbox becomes and what the caller is told.
 */
public final class HostFailure extends RuntimeException {

    public HostFailure(String message, Throwable cause) {
        super(message, cause);
    }

    public HostFailure(String message) {
        super(message);
    }
}
