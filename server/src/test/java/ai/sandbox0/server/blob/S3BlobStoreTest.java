package ai.sandbox0.server.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.Digest;
import ai.sandbox0.server.BlobStorage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** What only the S3 store does: multipart uploads, tidying after crashes, and errors that say what is wrong. */
class S3BlobStoreTest {

    @TempDir
    Path dir;

    private final S3Client raw = TestS3.client();

    @Test
    void aLargeBlobGoesUpInPartsAndAppearsWhole() throws IOException {
        BlobStorage.S3 bucket = TestS3.newBucket("");
        byte[] content = new byte[(int) (2 * S3BlobStore.MIN_PART_SIZE + 1)];
        new Random(1).nextBytes(content);
        try (var store = new S3BlobStore(S3BlobStore.client(bucket), bucket.bucket(), "", dir, S3BlobStore.MIN_PART_SIZE, 1000)) {
            Digest digest = store.put(new ByteArrayInputStream(content)).digest();

            var head = raw.headObject(b -> b.bucket(bucket.bucket()).key("sha256/" + digest.hex()));
            assertThat(head.eTag()).endsWith("-3\""); // a multipart object's ETag counts its parts
            assertThat(head.contentLength()).isEqualTo(content.length);
            assertThat(raw.listMultipartUploads(b -> b.bucket(bucket.bucket())).uploads()).isEmpty();
        }
    }

    @Test
    void aCrashedWritersLeftoversAreTidiedWhenAStoreOpens() throws IOException {
        BlobStorage.S3 bucket = TestS3.newBucket("tidy");
        String key = "tidy/sha256/" + Digest.of(new byte[] {1}).hex();
        raw.createMultipartUpload(b -> b.bucket(bucket.bucket()).key(key));
        Path spool = Files.createDirectories(dir.resolve("spool"));
        Path deadWriters = Files.writeString(spool.resolve(Integer.MAX_VALUE + "-abandoned"), "half a layer");

        try (var store = new S3BlobStore(S3BlobStore.client(bucket), bucket.bucket(), bucket.prefix(), spool,
                S3BlobStore.DEFAULT_PART_SIZE, 1000)) {
            assertThat(deadWriters).doesNotExist();
            assertThat(store.abortAbandonedUploads(Instant.now().minusSeconds(3600))).isZero(); // too young to be abandoned
            assertThat(store.abortAbandonedUploads(Instant.now().plusSeconds(60))).isEqualTo(1);
            assertThat(raw.listMultipartUploads(b -> b.bucket(bucket.bucket())).uploads()).isEmpty();
            assertThat(store.list()).isEmpty();
        }
    }

    @Test
    void onlyBlobsUnderItsPrefixAreItsOwn() throws IOException {
        BlobStorage.S3 bucket = TestS3.newBucket("mine/");
        Digest other = Digest.of(new byte[] {9});
        raw.putObject(b -> b.bucket(bucket.bucket()).key("theirs/sha256/" + other.hex()), RequestBody.fromBytes(new byte[] {9}));
        raw.putObject(b -> b.bucket(bucket.bucket()).key("mine/sha256/README"), RequestBody.fromString("not a blob"));

        try (var store = S3BlobStore.open(bucket, dir, null)) {
            Digest mine = store.put(new ByteArrayInputStream(new byte[] {7})).digest();

            assertThat(store.list()).containsExactly(mine);
            assertThat(store.exists(other)).isFalse();
            assertThat(raw.headObject(b -> b.bucket(bucket.bucket()).key("mine/sha256/" + mine.hex())).contentLength())
                    .isEqualTo(1);
        }
    }

    @Test
    void aMissingBucketFailsTheStartNamingIt() {
        BlobStorage.S3 nowhere = new BlobStorage.S3("no-such-bucket-s0", "", TestS3.endpoint(), "us-east-1", true,
                TestS3.ACCESS_KEY, TestS3.SECRET_KEY);

        assertThatThrownBy(() -> S3BlobStore.open(nowhere, dir, null))
                .hasMessage("cannot use the S3 bucket s3://no-such-bucket-s0/: it does not exist");
    }

    @Test
    void aWrongSecretIsReportedWithoutIt() {
        BlobStorage.S3 bucket = TestS3.newBucket("").withCredentials(TestS3.ACCESS_KEY, "wrong-secret-never-shown");

        assertThatThrownBy(() -> S3BlobStore.open(bucket, dir, null))
                .hasMessageStartingWith("cannot use the S3 bucket s3://" + bucket.bucket() + "/: ")
                .hasMessageContaining("HTTP 403")
                .hasMessageNotContaining("wrong-secret-never-shown")
                .hasMessageNotContaining(TestS3.SECRET_KEY);
        assertThat(bucket.toString()).doesNotContain("wrong-secret-never-shown");
    }

    @Test
    void anUnreachableEndpointIsAnErrorNotAHang() throws IOException {
        int port;
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        BlobStorage.S3 closed = TestS3.newBucket("").withEndpoint(URI.create("http://127.0.0.1:" + port));

        assertThatThrownBy(() -> S3BlobStore.open(closed, dir, null)).hasMessageStartingWith("cannot use the S3 bucket");
    }
}
