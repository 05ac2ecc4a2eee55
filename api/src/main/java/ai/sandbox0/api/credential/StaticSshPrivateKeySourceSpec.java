package ai.sandbox0.api.credential;

/** An SSH private key in PEM, optionally encrypted. */
public record StaticSshPrivateKeySourceSpec(
        String privateKeyPem,
        String passphrase) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "StaticSshPrivateKeySourceSpec[privateKeyPem=" + (privateKeyPem == null ? null : "<redacted>")
                + ", passphrase=" + (passphrase == null ? null : "<redacted>") + "]";
    }
}
