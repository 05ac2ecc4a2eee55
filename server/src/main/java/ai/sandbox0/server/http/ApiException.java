package ai.sandbox0.server.http;

import ai.sandbox0.api.ErrorCode;

/**
 * A failure the client caused or must know about, carrying the upstream code, the HTTP status and a
 * message the user can act on. Thrown anywhere below the HTTP layer; {@link ErrorReplies} is the one
 * place that turns it into the error envelope.
 */
public final class ApiException extends RuntimeException {

    private final ErrorCode code;
    private final int status;
    private final transient Object details;
    private java.time.Duration retryAfter;

    public ApiException(ErrorCode code, int status, String message, Object details) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
        this.details = details;
    }

    public ApiException(ErrorCode code, String message) {
        this(code, code.status(), message, null);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(ErrorCode.BAD_REQUEST, message);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(ErrorCode.UNAUTHORIZED, message);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(ErrorCode.FORBIDDEN, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(ErrorCode.NOT_FOUND, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(ErrorCode.CONFLICT, message);
    }

    public static ApiException unavailable(String message) {
        return new ApiException(ErrorCode.UNAVAILABLE, message);
    }

    /** Upstream sends 413 with the {@code bad_request} code. */
    public static ApiException tooLarge(String message) {
        return new ApiException(ErrorCode.BAD_REQUEST, 413, message, null);
    }

    /**
     * 429 with {@code Retry-After}: a rate limit of ours (upstream sends its route rate limits with the
     * {@code unavailable} code).
     */
    public static ApiException tooManyRequests(String message, java.time.Duration retryAfter) {
        var e = new ApiException(ErrorCode.UNAVAILABLE, 429, message, null);
        e.retryAfter = retryAfter;
        return e;
    }

    /** How long the client should wait before retrying, or null. */
    public java.time.Duration retryAfter() {
        return retryAfter;
    }

    public ErrorCode code() {
        return code;
    }

    public int status() {
        return status;
    }

    public Object details() {
        return details;
    }
}
