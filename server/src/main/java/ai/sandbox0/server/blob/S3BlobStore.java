package ai.sandbox0.server.blob;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.blob.Blob;
import ai.sandbox0.node.blob.BlobCipher;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.BlobUpload;
import ai.sandbox0.node.blob.NoSuchBlobException;
import ai.sandbox0.node.blob.SpooledUpload;
import ai.sandbox0.node.blob.UploadSpool;
import ai.sandbox0.node.blob.VerifyingInputStream;
import ai.sandbox0.server.BlobStorage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link BlobStore} in an S3 bucket: {@code <prefix>sha256/<hex>}, one object per blob.
 *
 * <p>An upload is spooled to a local file while it is hashed, since its key (the digest) is known only
 * at the end. Then content already in the bucket is not sent again, content that misses its expected
 * digest is refused before anything reaches the bucket, and the object appears under its key whole or
 * not at all: a single PUT for a small blob, a multipart upload (invisible until completed) for a large
 * one. A crash leaves a spool file, removed when the next store opens on the directory once its writer
 * process is gone, and perhaps an unfinished multipart upload, which no read or list sees; those older
 * than {@link #ABANDONED_AFTER} are aborted on open (a bucket lifecycle rule may do it too).
 *
 * <p>Reads are verified against the digest ({@link VerifyingInputStream}); the bucket is trusted for
 * nothing but keeping bytes.
 */
public final class S3BlobStore implements BlobStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(S3BlobStore.class);

    /** Parts are held in memory while sent; S3 wants at least 5 MiB for every part but the last. */
    public static final long DEFAULT_PART_SIZE = 16L << 20;
    public static final long MIN_PART_SIZE = 5L << 20;
    private static final int MAX_PARTS = 10_000;
    /** Above this an object cannot be copied onto itself in one request; refreshing re-sends it. */
    private static final long MAX_COPY_SIZE = 5L << 30;
    /** No upload of ours runs this long: older unfinished ones are a crashed writer's. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(6);

    private final S3Client s3;
    private final String bucket;
    private final String keys;
    private final UploadSpool spool;
    private final long partSize;
    private final int pageSize;
    private final String where;
    private final BlobCipher cipher;

    /**
     * @param spool a local directory for uploads in progress (as large as the largest layer)
     * @param pageSize keys per ListObjectsV2 page (1000 is S3's maximum)
     */
    S3BlobStore(S3Client s3, String bucket, String prefix, Path spool, long partSize, int pageSize) throws IOException {
        this(s3, bucket, prefix, spool, partSize, pageSize, null);
    }

    /** @param cipher what encrypts the objects (null: kept as they are) */
    S3BlobStore(S3Client s3, String bucket, String prefix, Path spool, long partSize, int pageSize, BlobCipher cipher)
            throws IOException {
        this.cipher = cipher;
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("S3 parts are at least 5 MiB, got " + partSize);
        }
        this.s3 = s3;
        this.bucket = bucket;
        this.keys = prefix + Digest.ALGORITHM + "/";
        this.partSize = partSize;
        this.pageSize = pageSize;
        this.where = "s3://" + bucket + "/" + prefix;
        this.spool = new UploadSpool(spool, where);
    }

    /**
     * Connects to the bucket {@code settings} name and checks it can be reached, so a wrong endpoint,
     * bucket or credential fails the server's start with a message saying which.
     */
    public static S3BlobStore open(BlobStorage.S3 settings, Path spool, BlobCipher cipher) throws IOException {
        S3Client s3 = client(settings);
        try {
            var store = new S3BlobStore(s3, settings.bucket(), settings.prefix(), spool, DEFAULT_PART_SIZE, 1000,
                    cipher);
            store.checkReachable();
            store.abortAbandonedUploads(Instant.now().minus(ABANDONED_AFTER));
            return store;
        } catch (IOException | RuntimeException e) {
            s3.close();
            throw e;
        }
    }

    static S3Client client(BlobStorage.S3 settings) {
        AwsCredentialsProvider credentials = settings.accessKeyId() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKeyId(),
                        settings.secretAccessKey()));
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofMinutes(2)))
                .credentialsProvider(credentials)
                .region(region(settings.region()))
                .forcePathStyle(settings.pathStyle());
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return builder.build();
    }

    private static Region region(String configured) {
        if (configured != null) {
            return Region.of(configured);
        }
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkException none) {
            return Region.US_EAST_1; // S3-compatible servers mostly ignore it, but the signature names one
        }
    }

    private void checkReachable() throws IOException {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (SdkException e) {
            throw new IOException("cannot use the S3 bucket " + where + ": " + (e instanceof S3Exception s3e
                    && s3e.statusCode() == 404 ? "it does not exist" : message(e)), e);
        }
    }

    @Override
    public BlobUpload upload() throws IOException {
        return new SpooledUpload(spool.newFile(), where, cipher) {
            @Override
            protected void store(Path file, FileChannel channel, Digest digest, long size) throws IOException {
                try {
                    HeadObjectResponse existing = head(digest);
                    if (existing == null) {
                        send(file, channel, digest, size);
                    } else {
                        refresh(file, channel, digest, size, existing.contentLength());
                    }
                } catch (SdkException e) {
                    throw new IOException("blob store " + where + ": store " + digest + ": " + message(e), e);
                }
            }
        };
    }

    @Override
    public InputStream open(Digest digest) throws IOException {
        try {
            InputStream stored = s3.getObject(b -> b.bucket(bucket).key(keyOf(digest)));
            return new VerifyingInputStream(cipher == null ? stored : cipher.decrypting(stored), digest, where);
        } catch (SdkException e) {
            throw failure("read", digest, e);
        }
    }

    @Override
    public boolean exists(Digest digest) throws IOException {
        return head(digest) != null;
    }

    @Override
    public long size(Digest digest) throws IOException {
        return present(digest).contentLength();
    }

    @Override
    public Instant lastWritten(Digest digest) throws IOException {
        return present(digest).lastModified();
    }

    @Override
    public boolean delete(Digest digest) throws IOException {
        // S3 answers a delete of a missing key like any other: ask first, for the caller's count.
        if (head(digest) == null) {
            return false;
        }
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(keyOf(digest)));
            return true;
        } catch (SdkException e) {
            throw failure("delete", digest, e);
        }
    }

    @Override
    public List<Digest> list() throws IOException {
        var digests = new ArrayList<Digest>();
        try {
            for (var page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(keys).maxKeys(pageSize))) {
                for (S3Object object : page.contents()) {
                    try {
                        digests.add(new Digest(object.key().substring(keys.length())));
                    } catch (IllegalArgumentException notABlob) {
                        // someone else's object under our prefix; not ours to list or remove
                    }
                }
            }
        } catch (SdkException e) {
            throw new IOException("blob store " + where + ": list: " + message(e), e);
        }
        digests.sort(null);
        return digests;
    }

    /** Aborts this store's multipart uploads started before {@code cutoff}; returns how many. */
    int abortAbandonedUploads(Instant cutoff) {
        int aborted = 0;
        try {
            for (var page : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(keys))) {
                for (MultipartUpload upload : page.uploads()) {
                    if (upload.initiated() != null && upload.initiated().isBefore(cutoff)) {
                        s3.abortMultipartUpload(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
                        aborted++;
                    }
                }
            }
        } catch (SdkException e) {
            // Unfinished uploads are invisible to readers: failing to tidy them must not stop a start.
            log.warn("blob store {}: could not abort abandoned multipart uploads: {}", where, message(e));
        }
        if (aborted > 0) {
            log.info("blob store {}: aborted {} abandoned multipart uploads", where, aborted);
        }
        return aborted;
    }

    String keyOf(Digest digest) {
        return keys + digest.hex();
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return where;
    }

    private HeadObjectResponse head(Digest digest) throws IOException {
        try {
            return s3.headObject(b -> b.bucket(bucket).key(keyOf(digest)));
        } catch (SdkException e) {
            if (notFound(e)) {
                return null;
            }
            throw failure("look up", digest, e);
        }
    }

    private HeadObjectResponse present(Digest digest) throws IOException {
        HeadObjectResponse head = head(digest);
        if (head == null) {
            throw new NoSuchBlobException(digest, where);
        }
        return head;
    }

    /** A missing key; a missing bucket is a configuration error and said so. */
    private static boolean notFound(SdkException e) {
        return e instanceof NoSuchKeyException || e instanceof S3Exception s3e && s3e.statusCode() == 404
                && !(s3e.awsErrorDetails() != null && "NoSuchBucket".equals(s3e.awsErrorDetails().errorCode()));
    }

    private IOException failure(String action, Digest digest, SdkException e) {
        if (notFound(e)) {
            return new NoSuchBlobException(digest, where);
        }
        return new IOException("blob store " + where + ": " + action + " " + digest + ": " + message(e), e);
    }

    /** The service's own words (its error code and message), without the SDK's request ids and hints. */
    private static String message(SdkException e) {
        if (e instanceof S3Exception s3e && s3e.awsErrorDetails() != null) {
            var details = s3e.awsErrorDetails();
            return details.errorCode() + " (HTTP " + s3e.statusCode() + ")"
                    + (details.errorMessage() == null ? "" : ": " + details.errorMessage());
        }
        return String.valueOf(e.getMessage());
    }

    /** The same content is there: only its age changes, so a collector's grace period covers this writer. */
    private void refresh(Path file, FileChannel channel, Digest digest, long size, long storedSize) throws IOException {
        if (storedSize > MAX_COPY_SIZE) {
            send(file, channel, digest, size);
            return;
        }
        // A copy onto itself must change something; new metadata does, and it is a new object to S3.
        s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(keyOf(digest)).destinationBucket(bucket)
                .destinationKey(keyOf(digest)).metadataDirective(MetadataDirective.REPLACE)
                .metadata(Map.of("written", Instant.now().toString())));
    }

    private void send(Path file, FileChannel channel, Digest digest, long size) throws IOException {
        String key = keyOf(digest);
        if (size <= partSize) {
            byte[] bytes = readPart(file, channel, 0, (int) size);
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromContentProvider(
                    () -> new ByteArrayInputStream(bytes), bytes.length, "application/octet-stream"));
            return;
        }
        long part = Math.max(partSize, (size + MAX_PARTS - 1) / MAX_PARTS);
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        try {
            var parts = new ArrayList<CompletedPart>();
            for (long offset = 0; offset < size; offset += part) {
                int number = parts.size() + 1;
                byte[] bytes = readPart(file, channel, offset, (int) Math.min(part, size - offset));
                String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes), bytes.length,
                                "application/octet-stream")).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
            // The object appears under its key only now, whole.
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (SdkException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    private static byte[] readPart(Path file, FileChannel channel, long offset, int length) throws IOException {
        var buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                throw new IOException("blob upload " + file + " ended early");
            }
        }
        return buffer.array();
    }

}
