package ai.sandbox0.procd;

import ai.sandbox0.api.ErrorCode;

/** A failure with its upstream error code; mapped to the envelope in one place (http.Failures). */
public final class ProcdException extends RuntimeException {

    private final ErrorCode code;
    private final int status;

    public ProcdException(ErrorCode code, String message) {
        this(code, code.status(), message);
    }

    /** A code sent with another status than its usual one (upstream's 502 and 504 are {@code unavailable}). */
    public ProcdException(ErrorCode code, int status, String message) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
    }

    public ErrorCode code() {
        return code;
    }

    public int status() {
        return status;
    }

    public static ProcdException invalid(String message) {
        return new ProcdException(ErrorCode.INVALID_REQUEST, message);
    }
}
