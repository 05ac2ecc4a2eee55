package ai.sandbox0.api.network;

/** HTTP method and path policy. */
public record HttpProtocolRule(
        HttpMethodPolicy methods,
        HttpPathPolicy paths) {
}
