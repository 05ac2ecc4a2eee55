package ai.sandbox0.server.sandbox;

/**
 * The host could not do what the lifecycle asked (a start, checkpoint or teardown failed, an image is
 * not available). The lifecycle decides what the sandbox becomes and what the caller is told.
 */
public final class HostFailure extends RuntimeException {

    private final transient java.time.Duration retryAfter;

    public HostFailure(String message, Throwable cause) {
        super(message, cause);
        this.retryAfter = null;
    }

    public HostFailure(String message) {
        this(message, (Throwable) null);
    }

    /** The host is busy rather than broken: the same request should work after {@code retryAfter}. */
    public HostFailure(String message, java.time.Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    /** When trying again is worth it, or null when the host did not say. */
    public java.time.Duration retryAfter() {
        return retryAfter;
    }
}
