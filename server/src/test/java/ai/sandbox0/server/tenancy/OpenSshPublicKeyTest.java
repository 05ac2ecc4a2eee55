package ai.sandbox0.server.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.domain.DomainException;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Map;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing and fingerprinting key lines, checked against ssh-keygen. */
class OpenSshPublicKeyTest {

    @TempDir
    Path dir;

    private SshKeygen keygen;

    @BeforeEach
    void keygen() {
        keygen = new SshKeygen(dir);
    }

    @ParameterizedTest
    @CsvSource({"ed25519, 0, ssh-ed25519", "rsa, 2048, ssh-rsa", "rsa, 4096, ssh-rsa",
            "ecdsa, 256, ecdsa-sha2-nistp256", "ecdsa, 384, ecdsa-sha2-nistp384", "ecdsa, 521, ecdsa-sha2-nistp521"})
    void fingerprintsAsSshKeygenDoes(String type, int bits, String keyType) throws Exception {
        String line = keygen.generate(type, bits, "ada@laptop").publicLine();

        OpenSshPublicKey key = OpenSshPublicKey.parse(line);

        assertThat(key.keyType()).isEqualTo(keyType);
        assertThat(key.fingerprintSha256()).isEqualTo(keygen.fingerprint(line));
        assertThat(key.comment()).isEqualTo("ada@laptop");
        assertThat(key.line()).isEqualTo(line);
    }

    @ParameterizedTest
    @CsvSource({"ed25519, 0, sk-ssh-ed25519@openssh.com", "ecdsa, 256, sk-ecdsa-sha2-nistp256@openssh.com"})
    void securityKeysToo(String type, int bits, String keyType) throws Exception {
        String line = SshKeygen.asSecurityKey(keygen.generate(type, bits, "x").publicLine(), "yubikey");

        OpenSshPublicKey key = OpenSshPublicKey.parse(line);

        assertThat(key.keyType()).isEqualTo(keyType);
        assertThat(key.fingerprintSha256()).isEqualTo(keygen.fingerprint(line));
        assertThat(key.line()).isEqualTo(line);
    }

    @Test
    void whitespaceIsNormalisedAndTheCommentKeptWhole() throws Exception {
        String[] parts = keygen.generate("ed25519", 0, "c").publicLine().split(" ");

        OpenSshPublicKey key = OpenSshPublicKey.parse("\n  " + parts[0] + " \t " + parts[1] + "   my  work laptop  \r\n");
        OpenSshPublicKey bare = OpenSshPublicKey.parse(parts[0] + " " + parts[1]);

        assertThat(key.comment()).isEqualTo("my  work laptop");
        assertThat(key.line()).isEqualTo(parts[0] + " " + parts[1] + " my  work laptop");
        assertThat(bare.comment()).isNull();
        assertThat(bare.line()).isEqualTo(parts[0] + " " + parts[1]);
        assertThat(bare.fingerprintSha256()).isEqualTo(key.fingerprintSha256());
    }

    @Test
    void theGatewaysPresentedKeyHasTheSameFingerprint() throws Exception {
        String line = keygen.generate("ed25519", 0, "c").publicLine();
        var presented = PublicKeyEntry.parsePublicKeyEntry(line).resolvePublicKey(null, Map.of(),
                PublicKeyEntryResolver.FAILING);

        assertThat(OpenSshPublicKey.fingerprint(presented)).isEqualTo(OpenSshPublicKey.parse(line).fingerprintSha256());
    }

    @Test
    void jdkKeysEncodedByTheLibraryParseToo() throws Exception {
        var generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        String line = PublicKeyEntry.toString(generator.generateKeyPair().getPublic());

        assertThat(OpenSshPublicKey.parse(line).fingerprintSha256()).isEqualTo(keygen.fingerprint(line));
    }

    @Test
    void whatIsWrongIsSaid() throws Exception {
        SshKeygen.Pair ed = keygen.generate("ed25519", 0, "c");
        String data = ed.publicLine().split(" ")[1];

        assertInvalid("hello world", "unknown key type 'hello' (accepted: ssh-ed25519, ssh-rsa,");
        assertInvalid("ssh-foo AAAA", "public_key is not a valid OpenSSH public key: unknown key type 'ssh-foo'");
        assertInvalid("ssh-ed25519", "the base64 key data is missing after 'ssh-ed25519'");
        assertInvalid("ssh-ed25519 " + data.substring(0, 60), "the key data is truncated or corrupt");
        assertInvalid("ssh-ed25519 " + data.substring(0, 61), "the key data is not valid base64");
        assertInvalid("ssh-ed25519 " + data + "AAAA", "the key data has 3 extra bytes after the key");
        assertInvalid("ssh-rsa " + data, "the key data is a ssh-ed25519 key but the line says ssh-rsa");
        assertInvalid(ed.privateText(), "this is a private key");
        assertInvalid("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----", "this is a PEM key");
        assertInvalid(ed.publicLine() + "\n" + ed.publicLine(), "it must be a single line");
        assertInvalid("ssh-ed25519\u0000 " + data, "control characters");
        assertInvalid(keygen.generate("rsa", 1024, "c").publicLine(), "RSA keys need at least 2048 bits and this one has 1024");
        assertInvalid(keygen.generate("dsa", 0, "c").publicLine(), "DSA (ssh-dss) keys are not accepted");
        assertInvalid("ssh-ed25519-cert-v01@openssh.com AAAA", "certificates are not accepted");
        assertInvalid("restrict,command=\"uptime\" " + ed.publicLine(), "authorized_keys options are not accepted");
        assertInvalid("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----", "ssh-keygen -i -f");
        assertInvalid("ssh-ed25519 " + data + " " + "c".repeat(OpenSshPublicKey.MAX_LINE_BYTES), "longer than 16384 bytes");
    }

    @Test
    void hugeInputIsNotEchoed() {
        String huge = "x".repeat(10_000);

        assertThatThrownBy(() -> OpenSshPublicKey.parse(huge + " AAAA"))
                .isInstanceOf(DomainException.Invalid.class)
                .hasMessageContaining("unknown key type 'xxxx")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
    }

    private static void assertInvalid(String input, String reason) {
        assertThatThrownBy(() -> OpenSshPublicKey.parse(input))
                .isInstanceOf(DomainException.Invalid.class)
                .hasMessageStartingWith("public_key is not a valid OpenSSH public key: ")
                .hasMessageContaining(reason);
    }
}
