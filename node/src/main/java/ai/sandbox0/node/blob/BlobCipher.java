package ai.sandbox0.node.blob;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Encryption of what a blob store keeps, so a bucket (or a copied data dir) reveals nothing without the
 * installation key. Each object gets a random 256-bit key of its own; the object is encrypted with it as a
 * stream of independently authenticated 1 MiB segments (Tink's AES-GCM-HKDF streaming AEAD, which also
 * detects truncated, reordered or swapped segments), and the object key is stored in the object's header
 * wrapped (AES-256-GCM) by the installation key, a Tink keyset. Rotating the installation key means adding
 * a key to the keyset: objects name no key, so unwrapping tries each key of the keyset, primary first.
 *
 * <p>Layout: {@code "S0BLOB" 0x00 0x01}, a 2-byte length, the wrapped object key, then the stream. A stored
 * object without the magic is read as it is: blobs written before encryption stay readable, and their
 * content digest still guards them.
 */
public final class BlobCipher {

    static final byte[] MAGIC = {'S', '0', 'B', 'L', 'O', 'B', 0, 1};
    private static final byte[] KEY_CONTEXT = "sandbox0 blob object key v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM_CONTEXT = "sandbox0 blob v1".getBytes(StandardCharsets.US_ASCII);
    private static final int SEGMENT_BYTES = 1 << 20;
    private static final int OBJECT_KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Aead installationKey;

    private BlobCipher(KeysetHandle keyset) throws GeneralSecurityException {
        this.installationKey = keyset.getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    /** The cipher for a keyset in Tink's JSON format (as {@link #loadOrCreate} writes it). */
    public static BlobCipher fromKeysetJson(String json) throws IOException {
        try {
            return new BlobCipher(InstallationKeyset.parse(json, "blob encryption"));
        } catch (GeneralSecurityException e) {
            throw new IOException("not a usable blob encryption keyset: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * The cipher whose keyset is in {@code file}, made (owner-only, before any object uses it) when the file
     * does not exist. Losing the file loses every object encrypted with it.
     */
    public static BlobCipher loadOrCreate(Path file) throws IOException {
        try {
            return new BlobCipher(InstallationKeyset.loadOrCreate(file, "blob encryption"));
        } catch (GeneralSecurityException e) {
            throw new IOException("blob encryption key " + file + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Wraps {@code stored} so what is written to the result lands encrypted; closing the result writes the last
     * segment and closes {@code stored}.
     */
    public OutputStream encrypting(OutputStream stored) throws IOException {
        byte[] objectKey = new byte[OBJECT_KEY_BYTES];
        RANDOM.nextBytes(objectKey);
        try {
            byte[] wrapped = installationKey.encrypt(objectKey, KEY_CONTEXT);
            stored.write(MAGIC);
            stored.write(wrapped.length >>> 8);
            stored.write(wrapped.length);
            stored.write(wrapped);
            return stream(objectKey).newEncryptingStream(stored, STREAM_CONTEXT);
        } catch (GeneralSecurityException e) {
            throw new IOException("blob encryption failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(objectKey, (byte) 0);
        }
    }

    /**
     * The plaintext of {@code stored}: decrypted and authenticated segment by segment (a tampered or truncated
     * object fails with an IOException), or passed through when it was stored before encryption.
     */
    public InputStream decrypting(InputStream stored) throws IOException {
        var in = new PushbackInputStream(stored, MAGIC.length);
        byte[] head = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(head, MAGIC)) {
            in.unread(head);
            return in;
        }
        var data = new DataInputStream(in);
        byte[] objectKey = null;
        try {
            int length = data.readUnsignedShort();
            byte[] wrapped = new byte[length];
            data.readFully(wrapped);
            objectKey = installationKey.decrypt(wrapped, KEY_CONTEXT);
            return stream(objectKey).newDecryptingStream(in, STREAM_CONTEXT);
        } catch (EOFException e) {
            throw new IOException("encrypted blob is truncated in its header", e);
        } catch (GeneralSecurityException e) {
            throw new IOException("encrypted blob cannot be opened with this installation's key (a different "
                    + "key, or the object was altered)", e);
        } finally {
            if (objectKey != null) {
                Arrays.fill(objectKey, (byte) 0);
            }
        }
    }

    /** Encrypts a small object in memory (manifests). */
    public byte[] encrypt(byte[] plaintext) throws IOException {
        var out = new ByteArrayOutputStream(plaintext.length + 128);
        try (OutputStream encrypting = encrypting(out)) {
            encrypting.write(plaintext);
        }
        return out.toByteArray();
    }

    private static AesGcmHkdfStreaming stream(byte[] objectKey) throws GeneralSecurityException {
        return new AesGcmHkdfStreaming(objectKey, "HmacSha256", OBJECT_KEY_BYTES, SEGMENT_BYTES, 0);
    }
}
