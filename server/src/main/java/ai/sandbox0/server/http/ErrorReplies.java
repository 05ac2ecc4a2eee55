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
import ai.sandbox0.server.domain.DomainException.TooLarge;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.node.volume.InvalidArchiveException;
import ai.sandbox0.node.volume.VolumeBusyException;
import ai.sandbox0.node.volume.VolumeFullException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
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
                    Map.of("Retry-After", retryAfterSeconds(e.retryAfter())));
            case ApiException e -> envelope(e.status(), e.code().wire(), e.getMessage(), e.details());
            case AuthenticationFailure e -> envelope(401, ErrorCode.UNAUTHORIZED.wire(), e.getMessage(), null);
            case DomainException e -> of(e);
            // File operations of volumes fail with the JDK's exceptions, naming the path inside the volume.
            case NoSuchFileException e -> envelope(404, ErrorCode.NOT_FOUND.wire(),
                    "no such file or directory" + file(e), null);
            case FileAlreadyExistsException e -> envelope(409, ErrorCode.CONFLICT.wire(),
                    "path already exists" + file(e), null);
            case DirectoryNotEmptyException e -> envelope(409, ErrorCode.CONFLICT.wire(),
                    "directory is not empty" + file(e), null);
            case NotDirectoryException e -> envelope(409, ErrorCode.CONFLICT.wire(), "not a directory" + file(e), null);
            case AccessDeniedException e -> envelope(403, ErrorCode.FORBIDDEN.wire(), "permission denied" + file(e), null);
            case VolumeBusyException e -> envelope(409, ErrorCode.CONFLICT.wire(), e.getMessage(), null);
            case VolumeFullException e -> envelope(503, ErrorCode.UNAVAILABLE.wire(),
                    "no space left for the volume: " + e.getMessage(), null);
            case InvalidArchiveException e -> envelope(e.tooLarge() ? 413 : 400, ErrorCode.BAD_REQUEST.wire(),
                    "invalid archive: " + e.getMessage(), null);
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
        if (failure instanceof TooLarge) {
            return envelope(413, ErrorCode.BAD_REQUEST.wire(), failure.getMessage(), null);
        }
        ErrorCode code = switch (failure) {
            case Invalid e -> ErrorCode.BAD_REQUEST;
            case TooLarge e -> ErrorCode.BAD_REQUEST;
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
        if (failure instanceof Unavailable u && u.retryAfter() != null) {
            return new Reply.Raw(code.status(), JSON, Json.write(Envelope.failure(code.wire(), failure.getMessage(), null)),
                    Map.of("Retry-After", retryAfterSeconds(u.retryAfter())));
        }
        return envelope(code.status(), code.wire(), failure.getMessage(), details);
    }

    /** Whole seconds, rounded up, at least one. */
    private static String retryAfterSeconds(java.time.Duration d) {
        return Long.toString(Math.max(1, (d.toMillis() + 999) / 1000));
    }

    /** The path a file operation names, for its message (the path inside the volume, never the host's). */
    private static String file(java.nio.file.FileSystemException e) {
        return e.getFile() == null ? "" : ": " + e.getFile();
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
