package ai.sandbox0.api.network;

/** One outbound header. */
public record ProjectedHeader(
        String name,
        // Go text/template over the source values, e.g. "Bearer {{ .token }}".
        String valueTemplate) {
}
