package ai.sandbox0.server.credential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.credential.CredentialSourceResolverKind;
import ai.sandbox0.api.credential.CredentialSourceWriteSpec;
import ai.sandbox0.api.credential.StaticSshPrivateKeySourceSpec;
import ai.sandbox0.api.credential.StaticTlsClientCertificateSourceSpec;
import ai.sandbox0.server.domain.DomainException.Invalid;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key formats TLS client certificates and SSH keys come in, made by openssl and ssh-keygen. */
class CredentialSourceRulesTest {

    @TempDir
    Path dir;

    private CredentialFixtures fixtures;

    @BeforeEach
    void setUp() {
        fixtures = new CredentialFixtures(dir);
    }

    private static CredentialMaterial tls(String certificate, String key, String ca) {
        return CredentialSourceRules.material(CredentialSourceResolverKind.STATIC_TLS_CLIENT_CERTIFICATE,
                new CredentialSourceWriteSpec(null, new StaticTlsClientCertificateSourceSpec(certificate, key, ca),
                        null, null));
    }

    private static CredentialMaterial ssh(String key, String passphrase) {
        return CredentialSourceRules.material(CredentialSourceResolverKind.STATIC_SSH_PRIVATE_KEY,
                new CredentialSourceWriteSpec(null, null, null, new StaticSshPrivateKeySourceSpec(key, passphrase)));
    }

    @Test
    void tlsKeyPairsOfEveryKeyTypeAndEncodingGoSTlsTakes() throws Exception {
        var rsa = fixtures.certificate("rsa:2048", "rsa");
        var ec = fixtures.certificate("ec", "ec");
        var ed = fixtures.certificate("ed25519", "ed");

        assertThat(tls(rsa.certificatePem(), rsa.privateKeyPem(), null).values())
                .containsOnlyKeys("certificatePem", "privateKeyPem");
        assertThat(fixtures.traditional(rsa.privateKeyPem(), "rsa")).contains("BEGIN RSA PRIVATE KEY");
        tls(rsa.certificatePem(), fixtures.traditional(rsa.privateKeyPem(), "rsa"), null);
        tls(ec.certificatePem(), ec.privateKeyPem(), null);
        assertThat(fixtures.traditional(ec.privateKeyPem(), "ec")).contains("BEGIN EC PRIVATE KEY");
        tls(ec.certificatePem(), fixtures.traditional(ec.privateKeyPem(), "ec"), null);
        tls(ed.certificatePem(), ed.privateKeyPem(), null);
        // A chain (leaf first) and a CA bundle of two.
        assertThat(tls(rsa.certificatePem() + ec.certificatePem(), rsa.privateKeyPem(),
                ec.certificatePem() + ed.certificatePem()).values()).containsEntry("caPem",
                ec.certificatePem() + ed.certificatePem());
    }

    @Test
    void tlsPairsThatDoNotMatchOrDoNotParseAreRefusedWithoutQuotingTheKey() throws Exception {
        var rsa = fixtures.certificate("rsa:2048", "a");
        var otherRsa = fixtures.certificate("rsa:2048", "b");
        var ec = fixtures.certificate("ec", "c");

        assertRefused(() -> tls(rsa.certificatePem(), otherRsa.privateKeyPem(), null),
                "spec.staticTLSClientCertificate: certificatePem and privateKeyPem do not form a key pair",
                otherRsa.privateKeyPem());
        assertRefused(() -> tls(rsa.certificatePem(), ec.privateKeyPem(), null), "do not form a key pair",
                ec.privateKeyPem());
        assertRefused(() -> tls("not a certificate", rsa.privateKeyPem(), null),
                "spec.staticTLSClientCertificate.certificatePem is not a PEM certificate", rsa.privateKeyPem());
        assertRefused(() -> tls(rsa.privateKeyPem(), rsa.privateKeyPem(), null),
                "certificatePem is not a PEM certificate", rsa.privateKeyPem());
        assertRefused(() -> tls(rsa.certificatePem(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                null), "spec.staticTLSClientCertificate.privateKeyPem is not a valid PEM private key", "AAAA");
        assertRefused(() -> tls(rsa.certificatePem(), rsa.certificatePem(), null),
                "privateKeyPem is not a valid PEM private key", "MII");
        assertRefused(() -> tls(rsa.certificatePem(), fixtures.encryptedPkcs8(rsa.privateKeyPem(), "pw"), null),
                "spec.staticTLSClientCertificate.privateKeyPem must not be encrypted", "ENCRYPTED PRIVATE KEY-----\nMII");
        assertRefused(() -> tls(rsa.certificatePem(), rsa.privateKeyPem(), "not a bundle"),
                "spec.staticTLSClientCertificate.caPem is not a PEM certificate bundle", rsa.privateKeyPem());
        assertRefused(() -> tls(null, rsa.privateKeyPem(), null),
                "spec.staticTLSClientCertificate.certificatePem is required", rsa.privateKeyPem());
        assertRefused(() -> tls(rsa.certificatePem(), " ", null),
                "spec.staticTLSClientCertificate.privateKeyPem is required", "zzz");
    }

    @Test
    void sshKeysInEveryFormatOpenSshWritesWithAndWithoutPassphrase() throws Exception {
        assertThat(ssh(fixtures.sshKey("ed25519", null, ""), null).values()).containsOnlyKeys("privateKeyPem");
        ssh(fixtures.sshKey("rsa", null, ""), null);
        ssh(fixtures.sshKey("ecdsa", null, ""), null);
        ssh(fixtures.sshKey("rsa", "PEM", ""), null);
        ssh(fixtures.sshKey("ecdsa", "PEM", ""), null);
        ssh(fixtures.sshKey("rsa", "PKCS8", ""), null);

        String encryptedOpenSsh = fixtures.sshKey("ed25519", null, "open sesame");
        assertThat(ssh(encryptedOpenSsh, "open sesame").values()).containsEntry("passphrase", "open sesame");
        String encryptedRsa = fixtures.sshKey("rsa", null, "open sesame");
        ssh(encryptedRsa, "open sesame");
        String encryptedPem = fixtures.sshKey("rsa", "PEM", "open sesame");
        assertThat(encryptedPem).contains("Proc-Type: 4,ENCRYPTED");
        ssh(encryptedPem, "open sesame");

        for (String encrypted : new String[] {encryptedOpenSsh, encryptedPem}) {
            assertRefused(() -> ssh(encrypted, null),
                    "spec.staticSSHPrivateKey.privateKeyPem is encrypted: spec.staticSSHPrivateKey.passphrase is required",
                    "open sesame");
            assertRefused(() -> ssh(encrypted, "wrong guess"),
                    "spec.staticSSHPrivateKey.privateKeyPem cannot be decrypted with spec.staticSSHPrivateKey.passphrase",
                    "wrong guess");
        }
        assertRefused(() -> ssh("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----",
                null), "spec.staticSSHPrivateKey.privateKeyPem is not a valid SSH private key", "b3BlbnNzaA");
        assertRefused(() -> ssh("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB", null),
                "spec.staticSSHPrivateKey.privateKeyPem is not a valid SSH private key", "AAAAC3");
        assertRefused(() -> ssh("", null), "spec.staticSSHPrivateKey.privateKeyPem is required", "x");
    }

    @Test
    void namesAreNonEmptyWithoutSlashAndBounded() {
        assertThat(CredentialSourceRules.checkName("github-token")).isEqualTo("github-token");
        assertRefused(() -> CredentialSourceRules.checkName("a/b"), "name must not contain '/'", "x");
        assertRefused(() -> CredentialSourceRules.checkName(" "), "name is required", "x");
        assertRefused(() -> CredentialSourceRules.checkName(null), "name is required", "x");
        assertRefused(() -> CredentialSourceRules.checkName("n".repeat(256)), "name must be at most 255 characters",
                "nnnn");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message,
            String secret) {
        assertThatThrownBy(call).isInstanceOf(Invalid.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret.strip()));
    }
}
