package ai.sandbox0.server.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.blob.Blob;
import ai.sandbox0.node.blob.BlobCipher;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.BlobUpload;
import ai.sandbox0.node.blob.CorruptBlobException;
import ai.sandbox0.node.blob.DigestMismatchException;
import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.blob.NoSuchBlobException;
import ai.sandbox0.server.BlobStorage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** What every {@link BlobStore} promises, held against the local directory and against a real S3 server. */
@ParameterizedClass
@EnumSource(BlobStoreContractTest.Kind.class)
class BlobStoreContractTest {

    enum Kind {
        LOCAL, S3, LOCAL_ENCRYPTED, S3_ENCRYPTED;

        boolean encrypted() {
            return this == LOCAL_ENCRYPTED || this == S3_ENCRYPTED;
        }
    }

    /** Small enough to make a test's 12 MiB blob three parts; as small as S3 allows. */
    private static final long PART_SIZE = S3BlobStore.MIN_PART_SIZE;

    @Parameter
    Kind kind;

    @TempDir
    Path dir;

    private Fixture fixture;
    private BlobStore store;

    @BeforeEach
    void open() throws IOException {
        fixture = switch (kind) {
            case LOCAL -> new LocalFixture(dir.resolve("blobs"), null);
            case S3 -> new S3Fixture(TestS3.newBucket("layers"), dir.resolve("spool"), null);
            case LOCAL_ENCRYPTED -> new LocalFixture(dir.resolve("blobs"), BlobCipher.loadOrCreate(dir.resolve("key.json")));
            case S3_ENCRYPTED -> new S3Fixture(TestS3.newBucket("layers"), dir.resolve("spool"),
                    BlobCipher.loadOrCreate(dir.resolve("key.json")));
        };
        store = fixture.store();
    }

    @AfterEach
    void close() throws Exception {
        fixture.close();
    }

    @Test
    void whatIsPutComesBackUnderItsDigest() throws IOException {
        byte[] content = "a layer".getBytes(StandardCharsets.UTF_8);

        Blob blob = store.put(new ByteArrayInputStream(content));

        assertThat(blob).isEqualTo(new Blob(Digest.of(content), content.length));
        assertThat(store.exists(blob.digest())).isTrue();
        assertThat(store.size(blob.digest())).isEqualTo(fixture.raw(blob.digest()).length);
        assertThat(read(blob.digest())).isEqualTo(content);
        assertThat(store.list()).containsExactly(blob.digest());
    }

    @Test
    void aStreamingUploadLearnsItsDigestAtTheEnd() throws IOException {
        byte[] content = random(300_000, 1);
        Blob blob;
        try (BlobUpload upload = store.upload()) {
            OutputStream out = upload.stream();
            for (int off = 0; off < content.length; off += 7000) {
                out.write(content, off, Math.min(7000, content.length - off));
            }
            out.close(); // only flushes
            blob = upload.commit();
        }
        assertThat(blob.digest()).isEqualTo(Digest.of(content));
        assertThat(read(blob.digest())).isEqualTo(content);
    }

    @Test
    void puttingContentThatIsThereIsANoOpThatMakesItYoungAgain() throws Exception {
        byte[] content = random(1000, 2);
        Blob first = store.put(new ByteArrayInputStream(content));
        Instant written = store.lastWritten(first.digest());
        assertThat(written).isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(60));

        Thread.sleep(1100); // S3 keeps whole seconds
        Blob again = store.put(new ByteArrayInputStream(content), first.digest());

        assertThat(again).isEqualTo(first);
        assertThat(store.list()).containsExactly(first.digest());
        assertThat(store.lastWritten(first.digest())).isAfter(written);
        assertThat(read(first.digest())).isEqualTo(content);
        assertThat(fixture.stored()).hasSize(1);
    }

    @Test
    void contentThatMissesItsDigestLeavesNothingStored() throws IOException {
        Digest promised = Digest.of("something else".getBytes(StandardCharsets.UTF_8));

        for (byte[] content : List.of(random(10, 3), random((int) (2 * PART_SIZE + 1), 4))) {
            assertThatThrownBy(() -> store.put(new ByteArrayInputStream(content), promised))
                    .isInstanceOf(DigestMismatchException.class)
                    .hasMessageContaining(promised.toString())
                    .hasMessageContaining(Digest.of(content).toString());
            assertThat(store.exists(Digest.of(content))).isFalse();
        }
        assertThat(store.exists(promised)).isFalse();
        assertThat(store.list()).isEmpty();
        assertThat(fixture.stored()).isEmpty();
    }

    @Test
    void anUploadClosedWithoutACommitLeavesNothing() throws IOException {
        try (BlobUpload upload = store.upload()) {
            upload.stream().write(random(5000, 5));
        }
        assertThat(store.list()).isEmpty();
        assertThat(fixture.stored()).isEmpty();
    }

    @Test
    void aMissingBlobIsNamedInTheError() throws IOException {
        Digest missing = Digest.of("never stored".getBytes(StandardCharsets.UTF_8));

        assertThat(store.exists(missing)).isFalse();
        assertThat(store.delete(missing)).isFalse();
        for (ThrowingCall call : List.<ThrowingCall>of(() -> store.open(missing).close(), () -> store.size(missing),
                () -> store.lastWritten(missing))) {
            assertThatThrownBy(call::run).isInstanceOf(NoSuchBlobException.class)
                    .hasMessageContaining(missing.toString());
        }
    }

    @Test
    void aBlobDamagedBehindTheStoresBackIsAnErrorNamingItNeverOtherBytes() throws IOException {
        byte[] content = random(200_000, 6);
        Digest digest = store.put(new ByteArrayInputStream(content)).digest();

        for (byte[] damage : List.of(random(200_000, 7), new byte[0], java.util.Arrays.copyOf(content, 1000))) {
            fixture.overwrite(digest, damage);
            assertThatThrownBy(() -> read(digest)).isInstanceOf(CorruptBlobException.class)
                    .hasMessageContaining(digest.toString());
        }
    }

    @Test
    void listPagesThroughEveryBlobInDigestOrder() throws IOException {
        var digests = new ArrayList<Digest>();
        for (int i = 0; i < 23; i++) { // the S3 store lists 7 keys a page here
            digests.add(store.put(new ByteArrayInputStream(("blob " + i).getBytes(StandardCharsets.UTF_8))).digest());
        }
        assertThat(store.list()).containsExactlyElementsOf(digests.stream().sorted().toList());
    }

    @Test
    void aBlobLargerThanAPartRoundTrips() throws IOException {
        byte[] content = random((int) (2 * PART_SIZE + 12_345), 8);

        Blob blob = store.put(new ByteArrayInputStream(content), Digest.of(content));

        assertThat(blob.size()).isEqualTo(content.length);
        assertThat(store.size(blob.digest())).isEqualTo(fixture.raw(blob.digest()).length);
        assertThat(read(blob.digest())).isEqualTo(content);
        assertThat(fixture.stored()).hasSize(1);
    }

    @Test
    void withEncryptionWhatIsKeptRevealsNothingOfTheContent() throws IOException {
        String secret = "credentials-in-a-layer-" + kind;
        byte[] content = (secret + " ").repeat(50_000).getBytes(StandardCharsets.UTF_8);

        Blob blob = store.put(new ByteArrayInputStream(content));

        String kept = new String(fixture.raw(blob.digest()), StandardCharsets.ISO_8859_1);
        if (kind.encrypted()) {
            assertThat(kept).doesNotContain(secret);
            // Two objects of one content share a key name but no ciphertext (each has a key of its own).
            assertThat(BlobCipher.loadOrCreate(dir.resolve("key.json")).encrypt(content))
                    .isNotEqualTo(fixture.raw(blob.digest()));
        } else {
            assertThat(kept).contains(secret);
        }
        assertThat(read(blob.digest())).isEqualTo(content);
        assertThat(read(fixture.reopen(), blob.digest())).isEqualTo(content);
    }

    @Test
    void deleteRemovesOnlyThatBlob() throws IOException {
        Digest kept = store.put(new ByteArrayInputStream(new byte[] {1})).digest();
        Digest doomed = store.put(new ByteArrayInputStream(new byte[] {2})).digest();

        assertThat(store.delete(doomed)).isTrue();

        assertThat(store.exists(doomed)).isFalse();
        assertThat(store.delete(doomed)).isFalse();
        assertThat(store.list()).containsExactly(kept);
        assertThatThrownBy(() -> store.open(doomed)).isInstanceOf(NoSuchBlobException.class);
    }

    @Test
    void storesAreReopenedOverWhatIsThere() throws Exception {
        Digest digest = store.put(new ByteArrayInputStream(new byte[] {42})).digest();

        BlobStore reopened = fixture.reopen();

        assertThat(reopened.list()).containsExactly(digest);
        assertThat(reopened.lastWritten(digest)).isEqualTo(store.lastWritten(digest));
    }

    private byte[] read(Digest digest) throws IOException {
        return read(store, digest);
    }

    private static byte[] read(BlobStore from, Digest digest) throws IOException {
        try (InputStream in = from.open(digest)) {
            return in.readAllBytes();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    /** A store under test and a way behind its back. */
    private interface Fixture extends AutoCloseable {

        BlobStore store();

        /** A second store over the same place, as after a restart. */
        BlobStore reopen() throws IOException;

        /** Replaces a blob's bytes the way a failing disk or a careless operator would. */
        void overwrite(Digest digest, byte[] bytes) throws IOException;

        /** Everything the store left in its place: files, objects and unfinished uploads. */
        List<String> stored() throws IOException;

        /** The bytes kept for a blob, as someone reading the disk or the bucket sees them. */
        byte[] raw(Digest digest) throws IOException;
    }

    private static final class LocalFixture implements Fixture {

        private final Path root;
        private final BlobCipher cipher;
        private final LocalBlobStore store;

        LocalFixture(Path root, BlobCipher cipher) throws IOException {
            this.root = root;
            this.cipher = cipher;
            this.store = new LocalBlobStore(root, cipher);
        }

        @Override
        public byte[] raw(Digest digest) throws IOException {
            return Files.readAllBytes(root.resolve("sha256").resolve(digest.hex()));
        }

        @Override
        public BlobStore store() {
            return store;
        }

        @Override
        public BlobStore reopen() throws IOException {
            return new LocalBlobStore(root, cipher);
        }

        @Override
        public void overwrite(Digest digest, byte[] bytes) throws IOException {
            Path file = root.resolve("sha256").resolve(digest.hex());
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            Files.write(file, bytes);
        }

        @Override
        public List<String> stored() throws IOException {
            try (Stream<Path> files = Files.walk(root)) {
                return files.filter(Files::isRegularFile).map(root::relativize).map(Path::toString).toList();
            }
        }

        @Override
        public void close() {
        }
    }

    private static final class S3Fixture implements Fixture {

        private final BlobStorage.S3 settings;
        private final Path spool;
        private final BlobCipher cipher;
        private final S3Client raw = TestS3.client();
        private final List<S3BlobStore> opened = new ArrayList<>();

        S3Fixture(BlobStorage.S3 settings, Path spool, BlobCipher cipher) throws IOException {
            this.settings = settings;
            this.spool = spool;
            this.cipher = cipher;
            reopen();
        }

        @Override
        public byte[] raw(Digest digest) {
            return raw.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(opened.getFirst().keyOf(digest)))
                    .asByteArray();
        }

        @Override
        public BlobStore store() {
            return opened.getFirst();
        }

        @Override
        public BlobStore reopen() throws IOException {
            var store = new S3BlobStore(S3BlobStore.client(settings), settings.bucket(), settings.prefix(), spool, PART_SIZE, 7,
                    cipher);
            opened.add(store);
            return store;
        }

        @Override
        public void overwrite(Digest digest, byte[] bytes) {
            raw.putObject(b -> b.bucket(settings.bucket()).key(opened.getFirst().keyOf(digest)), RequestBody.fromBytes(bytes));
        }

        @Override
        public List<String> stored() throws IOException {
            var stored = new ArrayList<String>();
            raw.listObjectsV2Paginator(b -> b.bucket(settings.bucket())).contents().forEach(o -> stored.add(o.key()));
            raw.listMultipartUploads(b -> b.bucket(settings.bucket())).uploads()
                    .forEach(u -> stored.add("unfinished upload of " + u.key()));
            try (Stream<Path> files = Files.list(spool)) {
                files.forEach(f -> stored.add("spool " + f.getFileName()));
            }
            return stored;
        }

        @Override
        public void close() {
            opened.forEach(S3BlobStore::close);
            raw.close();
        }
    }
}
