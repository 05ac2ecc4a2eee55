package ai.sandbox0.server.http;

import ai.sandbox0.api.Envelope;
import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.Json;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Forbidden;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException.NotFound;
import ai.sandbox0.server.domain.DomainException.QuotaExceeded;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.volume.VolumeMounts;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where failures become the upstream error envelope. */
public final class ErrorReplies {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorReplies.class);
    public static final String JSON = "application/json";

    private ErrorReplies() {
    }

    public static Reply.Raw of(Throwable failure, String requestId) {
        return switch (failure) {
            case ApiException e when e.retryAfter() != null -> new Reply.Raw(e.status(), JSON,
                    Json.write(Envelope.failure(e.code().wire(), e.getMessage(), e.details())),
                    Map.of("Retry-After", Long.toString(Math.max(1, (e.retryAfter().toMillis() + 999) / 1000))));
            case ApiException e -> envelope(e.status(), e.code().wire(), e.getMessage(), e.details());
            case AuthenticationFailure e -> envelope(401, ErrorCode.UNAUTHORIZED.wire(), e.getMessage(), null);
            case DomainException e -> of(e);
            // Another sandbox holds the volume writable: the claim or mount conflicts with it.
            case VolumeMounts.Conflict e -> envelope(409, ErrorCode.CONFLICT.wire(), e.getMessage(), null);
            default -> {
                // Unexpected: the client learns only that it happened and how to find it in our logs.
                LOG.error("internal error", failure);
                yield envelope(500, ErrorCode.INTERNAL_ERROR.wire(), "internal error (request id " + requestId + ")", null);
            }
        };
    }

    private static Reply.Raw of(DomainException failure) {
        ErrorCode code = switch (failure) {
            case Invalid e -> ErrorCode.BAD_REQUEST;
            case Forbidden e -> ErrorCode.FORBIDDEN;
            case NotFound e -> ErrorCode.NOT_FOUND;
            case Conflict e -> ErrorCode.CONFLICT;
            case QuotaExceeded e -> ErrorCode.QUOTA_EXCEEDED;
            case Unavailable e -> ErrorCode.UNAVAILABLE;
        };
        Object details = switch (failure) {
            case Invalid invalid -> invalid.details();
            case Conflict conflict -> conflict.details();
            default -> null;
        };
        return envelope(code.status(), code.wire(), failure.getMessage(), details);
    }

    public static Reply.Raw envelope(int status, String code, String message, Object details) {
        return new Reply.Raw(status, JSON, Json.write(Envelope.failure(code, message, details)));
    }

    /** The code upstream pairs with a bare HTTP status, for errors raised below our routing. */
    public static String codeFor(int status) {
        return switch (status) {
            case 401 -> ErrorCode.UNAUTHORIZED.wire();
            case 403 -> ErrorCode.FORBIDDEN.wire();
            case 404 -> ErrorCode.NOT_FOUND.wire();
            case 405 -> ErrorCode.METHOD_NOT_ALLOWED.wire();
            case 409 -> ErrorCode.CONFLICT.wire();
            case 429 -> ErrorCode.QUOTA_EXCEEDED.wire();
            case 503 -> ErrorCode.UNAVAILABLE.wire();
            default -> status >= 400 && status < 500 ? ErrorCode.BAD_REQUEST.wire() : ErrorCode.INTERNAL_ERROR.wire();
        };
    }
}
