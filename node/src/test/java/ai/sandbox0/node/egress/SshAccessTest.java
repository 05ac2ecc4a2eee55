package ai.sandbox0.node.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;

/**
 * Which sandbox keys open an {@code ssh_proxy} session and which upstream host keys it trusts for which host,
 * as OpenSSH's own {@code authorized_keys} and {@code known_hosts} would say.
 */
class SshAccessTest {

    private static final KeyPair LOGIN = key();
    private static final KeyPair SANDBOX = key();
    private static final KeyPair HOST = key();
    private static final KeyPair OTHER = key();
    private static final InetSocketAddress AT_22 = new InetSocketAddress(InetAddress.ofLiteral("203.0.113.9"), 22);
    private static final InetSocketAddress AT_2222 = new InetSocketAddress(InetAddress.ofLiteral("203.0.113.9"), 2222);

    @Test
    void onlyTheListedSandboxKeysAreAdmitted() throws Exception {
        var access = access(List.of("no-pty " + line(SANDBOX) + " agent@sandbox"), List.of());
        assertThat(access.admits(SANDBOX.getPublic())).isTrue();
        assertThat(access.admits(OTHER.getPublic())).isFalse();
        assertThat(access.admits(LOGIN.getPublic())).as("the login key is not a sandbox key").isFalse();
    }

    @Test
    void aHostKeyIsKnownForTheNameOrAddressAndPortItsLineNames() throws Exception {
        var access = access(List.of(line(SANDBOX)), List.of(
                "git.example.com," + "203.0.113.7 " + line(HOST),
                "[git.example.com]:2222 " + line(OTHER)));
        assertThat(access.knows("git.example.com", AT_22, HOST.getPublic())).isTrue();
        assertThat(access.knows(null, AT_22, HOST.getPublic())).as("a hostless flow, by its address").isFalse();
        assertThat(access.knows(null, new InetSocketAddress(InetAddress.ofLiteral("203.0.113.7"), 22), HOST.getPublic()))
                .isTrue();
        assertThat(access.knows("git.example.com", AT_22, OTHER.getPublic())).as("another port's key").isFalse();
        assertThat(access.knows("git.example.com", AT_2222, OTHER.getPublic())).isTrue();
        assertThat(access.knows("git.example.com", AT_2222, HOST.getPublic())).isFalse();
        assertThat(access.knows("evil.example.com", AT_22, HOST.getPublic())).isFalse();
    }

    @Test
    void hashedNamesWildcardsAndRevokedKeysAreRead() throws Exception {
        var access = access(List.of(line(SANDBOX)), List.of(
                "# a comment", "",
                hashed("git.example.com") + " " + line(HOST),
                "*.corp.example " + line(OTHER),
                "@revoked * " + line(OTHER)));
        assertThat(access.knows("git.example.com", AT_22, HOST.getPublic())).isTrue();
        assertThat(access.knows("other.example.com", AT_22, HOST.getPublic())).isFalse();
        assertThat(access.knows("a.corp.example", AT_22, OTHER.getPublic())).as("revoked wins").isFalse();
    }

    @Test
    void noKnownHostsTrustsNothing() throws Exception {
        assertThat(access(List.of(line(SANDBOX)), List.of()).knows("git.example.com", AT_22, HOST.getPublic())).isFalse();
    }

    @Test
    void unreadableLinesMakeTheMaterialUnusableWithoutQuotingIt() {
        assertThatThrownBy(() -> access(List.of("ssh-ed25519 not-base64!"), List.of()))
                .isInstanceOf(SshAccess.Unusable.class).hasMessage("sandboxPublicKeys[0] is not an OpenSSH public key this proxy reads");
        assertThatThrownBy(() -> access(List.of(line(SANDBOX)), List.of("git.example.com")))
                .isInstanceOf(SshAccess.Unusable.class).hasMessage("knownHosts[0] is not a known_hosts line");
        assertThat(new EgressMaterial.SshLogin("git", LOGIN, List.of(), List.of(), Instant.now()).toString())
                .doesNotContain(Base64.getEncoder().encodeToString(LOGIN.getPrivate().getEncoded()))
                .contains("git");
    }

    private static SshAccess access(List<String> sandboxKeys, List<String> knownHosts) throws SshAccess.Unusable {
        return SshAccess.of(new EgressMaterial.SshLogin("git", LOGIN, sandboxKeys, knownHosts, Instant.now()));
    }

    private static String line(KeyPair k) {
        return PublicKeyEntry.toString(k.getPublic());
    }

    /** OpenSSH's HashKnownHosts form: {@code |1|salt|HMAC-SHA1(salt, host)}. */
    private static String hashed(String host) throws Exception {
        byte[] salt = new byte[20];
        new java.security.SecureRandom().nextBytes(salt);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(salt, "HmacSHA1"));
        byte[] hash = mac.doFinal(host.getBytes(StandardCharsets.US_ASCII));
        return "|1|" + Base64.getEncoder().encodeToString(salt) + "|" + Base64.getEncoder().encodeToString(hash);
    }

    private static KeyPair key() {
        try {
            var g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
