package ai.sandbox0.api;

/**
 * Upstream error codes with the HTTP status each one is normally sent with. A few upstream pairs are
 * not obvious (a route's 405 uses {@code forbidden}, a route rate limit's 429 uses {@code unavailable},
 * an oversized body's 413 uses {@code bad_request}); those call sites pass the status explicitly.
 */
public enum ErrorCode {
    // gateway and manager
    BAD_REQUEST("bad_request", 400),
    UNAUTHORIZED("unauthorized", 401),
    FORBIDDEN("forbidden", 403),
    NOT_FOUND("not_found", 404),
    METHOD_NOT_ALLOWED("method_not_allowed", 405),
    CONFLICT("conflict", 409),
    QUOTA_EXCEEDED("quota_exceeded", 429),
    CLAIM_START_THROTTLED("claim_start_throttled", 429),
    INTERNAL_ERROR("internal_error", 500),
    UNAVAILABLE("unavailable", 503),
    FEATURE_NOT_LICENSED("feature_not_licensed", 403),

    // in-sandbox agent: files
    FILE_NOT_FOUND("file_not_found", 404),
    DIRECTORY_NOT_FOUND("directory_not_found", 404),
    PATH_EXISTS("path_exists", 409),
    PATH_NOT_DIRECTORY("path_not_directory", 409),
    PATH_NOT_FILE("path_not_file", 409),
    PERMISSION_DENIED("permission_denied", 403),
    FILE_TOO_LARGE("file_too_large", 413),
    INVALID_PATHS("invalid_paths", 400),

    // in-sandbox agent: contexts
    INVALID_REQUEST("invalid_request", 400),
    CONTEXT_NOT_FOUND("context_not_found", 404),
    PROCESS_FINISHED("process_finished", 410),
    PROCESS_NOT_RUNNING("process_not_running", 409),
    INPUT_BUFFER_FULL("input_buffer_full", 409),
    PTY_UNAVAILABLE("pty_unavailable", 409),
    EXEC_TIMEOUT("exec_timeout", 408),
    CREATE_FAILED("create_failed", 500),

    // in-sandbox agent: Sandbox Functions
    FUNCTION_FAILED("function_failed", 500);

    private final String wire;
    private final int status;

    ErrorCode(String wire, int status) {
        this.wire = wire;
        this.status = status;
    }

    /** The code as it appears in {@code error.code}. */
    public String wire() {
        return wire;
    }

    /** The HTTP status this code is sent with unless a call site says otherwise. */
    public int status() {
        return status;
    }
}
