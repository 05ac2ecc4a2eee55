package ai.sandbox0.server.blob;

import ai.sandbox0.server.BlobStorage;
import java.net.URI;
import java.util.UUID;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 protocol server for tests: S3Proxy over an in-memory store, on a free loopback port, started
 * once per JVM. It checks AWS signatures, so a wrong secret fails as it would against AWS. Each test takes
 * a bucket of its own.
 */
public final class TestS3 {

    public static final String ACCESS_KEY = "s0-test-access";
    public static final String SECRET_KEY = "s0-test-secret-do-not-log";
    private static URI endpoint;

    private TestS3() {
    }

    public static synchronized URI endpoint() {
        if (endpoint == null) {
            try {
                S3Proxy proxy = S3Proxy.builder()
                        .blobStore(new TransientNio2BlobStore())
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                        .endpoint(URI.create("http://127.0.0.1:0"))
                        .build();
                proxy.start();
                while (!proxy.getState().equals("STARTED")) {
                    Thread.sleep(10);
                }
                endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test S3 server: " + e, e);
            }
        }
        return endpoint;
    }

    /** Settings for a new, empty bucket with path-style access and explicit credentials. */
    public static BlobStorage.S3 newBucket(String prefix) {
        String bucket = "s0-test-" + UUID.randomUUID().toString().substring(0, 8);
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(bucket));
        }
        return BlobStorage.S3.parse("s3://" + bucket + "/" + prefix).withEndpoint(endpoint()).withRegion("us-east-1")
                .withPathStyle(true).withCredentials(ACCESS_KEY, SECRET_KEY);
    }

    /** A plain client, for looking behind a store's back. */
    public static S3Client client() {
        return S3Client.builder()
                .endpointOverride(endpoint())
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .build();
    }
}
