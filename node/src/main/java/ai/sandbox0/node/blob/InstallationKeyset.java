package ai.sandbox0.node.blob;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
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
 * An installation's AES-256-GCM keyset in a file of its own (Tink's JSON format), made at first use: owner-only
 * and on disk before anything is encrypted with it. Losing the file loses everything encrypted with it, so
 * operators back it up with what it protects. One per purpose (blobs, credential sources).
 */
public final class InstallationKeyset {

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private InstallationKeyset() {
    }

    /** @param purpose what the key protects, for messages ("blob encryption") */
    public static KeysetHandle loadOrCreate(Path file, String purpose) throws IOException {
        if (!Files.exists(file)) {
            String json;
            try {
                json = TinkJsonProtoKeysetFormat.serializeKeyset(
                        KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM), InsecureSecretKeyAccess.get());
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot make a " + purpose + " key: " + e.getMessage(), e);
            }
            createOwnerOnly(file, json);
        }
        try {
            return parse(Files.readString(file), purpose);
        } catch (IOException e) {
            throw new IOException(purpose + " key " + file + ": " + e.getMessage(), e);
        }
    }

    /** A keyset in Tink's JSON format; the message never quotes it. */
    public static KeysetHandle parse(String json, String purpose) throws IOException {
        try {
            return TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("not a usable " + purpose + " keyset (Tink JSON with an AES-GCM key): "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Writes {@code content} to {@code file} owner-only and durably, unless the file exists by then: of two
     * writers racing, the first one's file stays.
     */
    public static void createOwnerOnly(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        try {
            Files.createLink(file, tmp);
        } catch (FileAlreadyExistsException raced) {
            // keep the one that exists
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
