package ai.sandbox0.node.egress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.bouncycastle.jce.ECNamedCurveTable;

/**
 * The installation's SSH host key for {@code ssh_proxy}: what the proxy's SSH server shows a sandbox in place of
 * the destination's. An ECDSA P-256 key (the JDK's own; every OpenSSH client takes it), created on first use in
 * the node's state next to the egress CA and kept across restarts, so a sandbox that trusted it once keeps
 * trusting it. Its public half is written beside it as a {@code known_hosts} key ({@value #PUBLIC_FILE}).
 */
public final class SshHostKey {

    static final String KEY_FILE = "ssh-proxy-host-key";
    static final String PUBLIC_FILE = "ssh-proxy-host-key.pub";

    private final KeyPair pair;

    private SshHostKey(KeyPair pair) {
        this.pair = pair;
    }

    /**
     * The key kept in {@code dir} (owner-only), created there when absent.
     *
     * @throws IOException when the file cannot be read or written, or holds no P-256 key
     */
    public static SshHostKey loadOrCreate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path keyFile = dir.resolve(KEY_FILE);
        SshHostKey key;
        try {
            if (Files.exists(keyFile)) {
                Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
                key = new SshHostKey(read(Files.readString(keyFile, StandardCharsets.US_ASCII), keyFile));
            } else {
                key = ephemeral();
                Path tmp = Files.createTempFile(dir, KEY_FILE, ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, MitmAuthority.pem("PRIVATE KEY", key.pair.getPrivate().getEncoded()));
                Files.move(tmp, keyFile, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(keyFile + " does not hold an ECDSA P-256 private key: " + e.getMessage(), e);
        }
        Files.writeString(dir.resolve(PUBLIC_FILE), key.publicKey() + "\n");
        return key;
    }

    /** A key kept nowhere (a proxy without node state: tests). */
    public static SshHostKey ephemeral() {
        try {
            var generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return new SshHostKey(generator.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no ECDSA P-256 in this JDK", e);
        }
    }

    KeyPair pair() {
        return pair;
    }

    /** The public key as OpenSSH writes it ({@code ecdsa-sha2-nistp256 AAAA…}): a known_hosts line's key part. */
    public String publicKey() {
        return PublicKeyEntry.toString(pair.getPublic());
    }

    /** Its SHA-256 fingerprint, as {@code ssh} prints it ({@code SHA256:…}). */
    public String fingerprint() {
        return KeyUtils.getFingerPrint(pair.getPublic());
    }

    @Override
    public String toString() {
        return "SshHostKey[" + fingerprint() + "]";
    }

    private static KeyPair read(String text, Path file) throws GeneralSecurityException {
        String begin = "-----BEGIN PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = text.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("no PRIVATE KEY block");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        KeyFactory ec = KeyFactory.getInstance("EC");
        var key = (ECPrivateKey) ec.generatePrivate(new PKCS8EncodedKeySpec(der));
        // The public point is the private scalar times the curve's generator.
        var curve = ECNamedCurveTable.getParameterSpec("secp256r1");
        var q = curve.getG().multiply(key.getS()).normalize();
        var point = new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        return new KeyPair(ec.generatePublic(new ECPublicKeySpec(point, key.getParams())), key);
    }
}
