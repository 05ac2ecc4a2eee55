package ai.sandbox0.node.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobCipherTest {

    @TempDir
    Path dir;

    @Test
    void contentOfManySegmentsComesBackAndIsNotInTheCiphertext() throws IOException {
        BlobCipher cipher = BlobCipher.loadOrCreate(dir.resolve("key.json"));
        byte[] content = new byte[(3 << 20) + 12_345];
        new Random(1).nextBytes(content);
        byte[] marker = "a-secret-marker".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(marker, 0, content, 2 << 20, marker.length);

        byte[] stored = cipher.encrypt(content);

        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("a-secret-marker");
        assertThat(decrypt(cipher, stored)).isEqualTo(content);
        assertThat(decrypt(cipher, cipher.encrypt(new byte[0]))).isEmpty();
    }

    @Test
    void theKeyFileIsMadeOnceOwnerOnlyAndReadBack() throws IOException {
        Path file = dir.resolve("key.json");
        byte[] stored = BlobCipher.loadOrCreate(file).encrypt("x".getBytes(StandardCharsets.UTF_8));
        String first = Files.readString(file);

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(decrypt(BlobCipher.loadOrCreate(file), stored)).isEqualTo("x".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(file)).isEqualTo(first);
        assertThat(Files.list(dir)).containsExactly(file);
    }

    @Test
    void anotherInstallationsKeyCannotReadIt() throws IOException {
        byte[] stored = BlobCipher.loadOrCreate(dir.resolve("a.json")).encrypt(new byte[1000]);
        BlobCipher other = BlobCipher.loadOrCreate(dir.resolve("b.json"));

        assertThatThrownBy(() -> decrypt(other, stored)).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot be opened with this installation's key");
    }

    @Test
    void alteredOrTruncatedCiphertextFailsToRead() throws IOException {
        BlobCipher cipher = BlobCipher.loadOrCreate(dir.resolve("key.json"));
        byte[] content = new byte[(2 << 20) + 10];
        new Random(2).nextBytes(content);
        byte[] stored = cipher.encrypt(content);

        byte[] flipped = stored.clone();
        flipped[stored.length - 100] ^= 1;
        byte[] truncated = Arrays.copyOf(stored, (1 << 20) + 500);
        byte[] segmentDropped = Arrays.copyOf(stored, stored.length - 20);

        assertThatThrownBy(() -> decrypt(cipher, flipped)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> decrypt(cipher, truncated)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> decrypt(cipher, segmentDropped)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> decrypt(cipher, Arrays.copyOf(stored, 12))).isInstanceOf(IOException.class);
    }

    @Test
    void objectsStoredBeforeEncryptionAreReadAsTheyAre() throws IOException {
        BlobCipher cipher = BlobCipher.loadOrCreate(dir.resolve("key.json"));
        byte[] plain = "an old layer".getBytes(StandardCharsets.UTF_8);

        assertThat(decrypt(cipher, plain)).isEqualTo(plain);
        assertThat(decrypt(cipher, new byte[3])).isEqualTo(new byte[3]);
    }

    @Test
    void aKeysetThatIsNotOneIsRefusedWithoutEchoingIt() throws IOException {
        Path file = dir.resolve("key.json");
        Files.writeString(file, "{\"primaryKeyId\": 1, \"key\": \"hunter2\"}");

        assertThatThrownBy(() -> BlobCipher.loadOrCreate(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a usable blob encryption keyset").hasMessageNotContaining("hunter2");
    }

    @Test
    void anEncryptedLocalStoreKeepsCiphertextUnderThePlaintextsDigest() throws IOException {
        var store = new LocalBlobStore(dir.resolve("blobs"), BlobCipher.loadOrCreate(dir.resolve("key.json")));
        byte[] content = "layer content layer content".getBytes(StandardCharsets.UTF_8);

        Blob blob = store.put(new ByteArrayInputStream(content));

        assertThat(blob.digest()).isEqualTo(ai.sandbox0.node.Digest.of(content));
        byte[] kept = Files.readAllBytes(dir.resolve("blobs").resolve("sha256").resolve(blob.digest().hex()));
        assertThat(new String(kept, StandardCharsets.ISO_8859_1)).doesNotContain("layer content");
        try (InputStream in = store.open(blob.digest())) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
    }

    private static byte[] decrypt(BlobCipher cipher, byte[] stored) throws IOException {
        try (InputStream in = cipher.decrypting(new ByteArrayInputStream(stored))) {
            return in.readAllBytes();
        }
    }
}
