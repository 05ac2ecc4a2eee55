package ai.sandbox0.procd;

import ai.sandbox0.api.ErrorCode;

/** A failure with its upstream error code; mapped to the envelope in one place (http.Failures). */
public final class ProcdException extends RuntimeException {

    private final ErrorCode code;

    public ProcdException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static ProcdException invalid(String message) {
        return new ProcdException(ErrorCode.INVALID_REQUEST, message);
    }
}
