package ai.sandbox0.api.context;

/** {@code ResizeContextRequest}: both must be &gt; 0. */
public record ResizeContextRequest(Integer rows, Integer cols) {
}
