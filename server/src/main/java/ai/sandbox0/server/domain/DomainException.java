package ai.sandbox0.server.domain;

/**
 * Why the server did not do what was asked, in the domain's words. The lifecycle, templates and the
 * validation rules throw these; {@code ErrorReplies} is the one place that gives each kind its HTTP
 * status and upstream error code. Messages are shown to the caller as they are: they say what to do.
 */
public abstract sealed class DomainException extends RuntimeException {

    private DomainException(String message) {
        super(message, null, false, false);
    }

    /** The request itself is wrong (a missing or malformed field, a value out of range). */
    public static final class Invalid extends DomainException {
        private final transient Object details;

        public Invalid(String message) {
            this(message, null);
        }

        public Invalid(String message, Object details) {
            super(message);
            this.details = details;
        }

        public Object details() {
            return details;
        }
    }

    /** The caller may not do this (a privileged field, a limit only a system identity may pass). */
    public static final class Forbidden extends DomainException {
        public Forbidden(String message) {
            super(message);
        }
    }

    /** No such thing, or one the caller may not see (another team's is as absent as a deleted one). */
    public static final class NotFound extends DomainException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The request is larger than the server takes (a body, an archive): 413 with upstream's {@code bad_request}. */
    public static final class TooLarge extends DomainException {
        public TooLarge(String message) {
            super(message);
        }
    }

    /** The thing exists but is in a state that does not allow this now; the message names the state. */
    public static final class Conflict extends DomainException {
        private final transient Object details;

        public Conflict(String message) {
            this(message, null);
        }

        /** {@code details} says what stands in the way (e.g. what a team still holds). */
        public Conflict(String message, Object details) {
            super(message);
            this.details = details;
        }

        public Object details() {
            return details;
        }
    }

    /** A limit of the caller's team was reached. */
    public static final class QuotaExceeded extends DomainException {
        public QuotaExceeded(String message) {
            super(message);
        }
    }

    /** The server cannot do it now (the runtime failed or is missing); trying again later may work. */
    public static final class Unavailable extends DomainException {
        private final transient java.time.Duration retryAfter;

        public Unavailable(String message) {
            this(message, null);
        }

        /** With {@code Retry-After}: when the same request is worth sending again. */
        public Unavailable(String message, java.time.Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        public java.time.Duration retryAfter() {
            return retryAfter;
        }
    }
}
