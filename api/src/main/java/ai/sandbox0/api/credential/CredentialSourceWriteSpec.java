package ai.sandbox0.api.credential;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The secret material; the member matching {@code resolverKind} is set. */
public record CredentialSourceWriteSpec(
        StaticHeadersSourceSpec staticHeaders,
        @JsonProperty("staticTLSClientCertificate") StaticTlsClientCertificateSourceSpec staticTlsClientCertificate,
        StaticUsernamePasswordSourceSpec staticUsernamePassword,
        @JsonProperty("staticSSHPrivateKey") StaticSshPrivateKeySourceSpec staticSshPrivateKey) {
}
