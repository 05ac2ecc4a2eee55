package ai.sandbox0.api.context;

/** {@code SignalContextRequest}: a name (with or without SIG, any case) or a number 1..64. */
public record SignalContextRequest(String signal) {
}
