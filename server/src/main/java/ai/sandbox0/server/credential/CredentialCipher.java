package ai.sandbox0.server.credential;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
            return new CredentialCipher(TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get()));
        } catch (GeneralSecurityException | RuntimeException e) {
            // Never the exception's message: it could quote the keyset.
            throw new IOException("not a usable credential encryption keyset (Tink JSON with an AES-GCM key): "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * The cipher whose keyset is in {@code file}, made (owner-only, before anything is sealed with it) when the
     * file does not exist. Losing the file loses every credential source sealed with it.
     */
    public static CredentialCipher loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            create(file);
        }
        try {
            return fromKeysetJson(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("credential encryption key " + file + ": " + e.getMessage(), e);
        }
    }

    private static void create(Path file) throws IOException {
        String json;
        try {
            json = TinkJsonProtoKeysetFormat.serializeKeyset(
                    KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM), InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make a credential encryption key: " + e.getMessage(), e);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, json, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        try {
            Files.createLink(file, tmp); // fails if another writer made one first: theirs wins
        } catch (FileAlreadyExistsException raced) {
            // keep the one that exists
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
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
