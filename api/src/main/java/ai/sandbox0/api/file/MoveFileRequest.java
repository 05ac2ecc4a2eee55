package ai.sandbox0.api.file;

/** {@code MoveFileRequest}. */
public record MoveFileRequest(String source, String destination) {
}
