package ai.sandbox0.server.credential;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import ai.sandbox0.node.blob.InstallationKeyset;
import com.google.crypto.tink.aead.AeadConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * Seals credential source material with AES-256-GCM under the installation's credential keyset (a Tink keyset
 * in the data dir, made at first start). Tink prefixes each ciphertext with the id of the key that sealed it,
 * so a rotated keyset (a new primary key added) still opens what older keys sealed. The associated data binds a
 * ciphertext to its row: a ciphertext copied to another team's, source's or version's row does not open.
 */
public final class CredentialCipher {

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A sealed value and the keyset key that sealed it. */
    public record Sealed(String keyId, byte[] ciphertext) {
    }

    private final KeysetHandle keyset;
    private final Aead aead;

    private CredentialCipher(KeysetHandle keyset) throws GeneralSecurityException {
        this.keyset = keyset;
        this.aead = keyset.getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    /** The cipher for a keyset in Tink's JSON format (as {@link #loadOrCreate} writes it). */
    public static CredentialCipher fromKeysetJson(String json) throws IOException {
        try {
            return new CredentialCipher(InstallationKeyset.parse(json, "credential encryption"));
        } catch (GeneralSecurityException e) {
            throw new IOException("not a usable credential encryption keyset: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * The cipher whose keyset is in {@code file}, made (owner-only, before anything is sealed with it) when the
     * file does not exist. Losing the file loses every credential source sealed with it.
     */
    public static CredentialCipher loadOrCreate(Path file) throws IOException {
        try {
            return new CredentialCipher(InstallationKeyset.loadOrCreate(file, "credential encryption"));
        } catch (GeneralSecurityException e) {
            throw new IOException("credential encryption key " + file + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /** Seals {@code plaintext} for the row {@code associatedData} names, with the keyset's primary key. */
    public Sealed seal(byte[] plaintext, byte[] associatedData) {
        try {
            return new Sealed(Integer.toUnsignedString(keyset.getPrimary().getId()),
                    aead.encrypt(plaintext, associatedData));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("credential encryption failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Opens what {@link #seal} sealed for the same row; fails for another key, another row or altered bytes. */
    public byte[] open(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        return aead.decrypt(ciphertext, associatedData);
    }
}
