package ai.sandbox0.api.network;

/** How a resolved credential reaches the wire; the member matching {@code type} is set. */
public record ProjectionSpec(
        CredentialProjectionType type,
        HttpHeadersProjection httpHeaders,
        PlaceholderSubstitutionProjection placeholderSubstitution,
        TlsClientCertificateProjection tlsClientCertificate,
        UsernamePasswordProjection usernamePassword,
        SshProxyProjection sshProxy) {
}
