package ai.sandbox0.api.context;

/** {@code PTYSize}: terminal rows and columns (int32). */
public record PTYSize(Integer rows, Integer cols) {
}
