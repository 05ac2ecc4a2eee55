package ai.sandbox0.api.credential;

/**
 * The body of {@code POST} and {@code PUT /api/v1/credential-sources[/{name}]}; on PUT the path name wins.
 */
public record CredentialSourceWriteRequest(
        String name,
        CredentialSourceResolverKind resolverKind,
        CredentialSourceWriteSpec spec) {
}
