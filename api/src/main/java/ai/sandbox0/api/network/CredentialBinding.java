package ai.sandbox0.api.network;

/** Binds a credential source to a ref that rules use, with how it is projected. */
public record CredentialBinding(
        String ref,
        // The name of a credential source.
        String sourceRef,
        ProjectionSpec projection,
        CachePolicySpec cachePolicy) {
}
