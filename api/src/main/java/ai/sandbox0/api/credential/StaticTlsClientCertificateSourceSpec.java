package ai.sandbox0.api.credential;

/** A client certificate and its key, in PEM. */
public record StaticTlsClientCertificateSourceSpec(
        String certificatePem,
        String privateKeyPem,
        String caPem) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "StaticTlsClientCertificateSourceSpec[certificatePem=" + certificatePem
                + ", privateKeyPem=" + (privateKeyPem == null ? null : "<redacted>") + ", caPem=" + caPem + "]";
    }
}
