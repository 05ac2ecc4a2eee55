package ai.sandbox0.api.network;

/** How long resolved credential material may be cached. */
public record CachePolicySpec(
        // A Go duration, e.g. "5m".
        String ttl) {
}
