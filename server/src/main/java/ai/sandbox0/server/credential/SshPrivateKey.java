package ai.sandbox0.server.credential;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.Optional;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/** An SSH private key as a source holds it (OpenSSH, PEM or PKCS #8, encrypted or not), opened. */
public final class SshPrivateKey {

    private SshPrivateKey() {
    }

    /**
     * The key pair {@code pem} holds, opened with {@code passphrase} (null or empty: none); empty when it cannot
     * be read or opened. Why is never said here: a parser's message may quote the key.
     */
    public static Optional<KeyPair> open(String pem, String passphrase) {
        try {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("privateKeyPem"),
                    new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)),
                    passphrase == null || passphrase.isEmpty() ? null : FilePasswordProvider.of(passphrase));
            Iterator<KeyPair> keys = pairs == null ? null : pairs.iterator();
            return keys != null && keys.hasNext() ? Optional.of(keys.next()) : Optional.empty();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
