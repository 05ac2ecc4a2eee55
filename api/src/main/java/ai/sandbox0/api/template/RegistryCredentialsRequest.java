package ai.sandbox0.api.template;

/** The body of {@code POST /api/v1/registry/credentials}. */
public record RegistryCredentialsRequest(
        // The image name and tag to push, without credentials.
        String targetImage) {
}
