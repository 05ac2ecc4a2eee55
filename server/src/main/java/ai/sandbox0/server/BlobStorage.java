package ai.sandbox0.server;

import java.net.URI;
import java.util.Objects;

/**
 * Where the node keeps layer blobs (image layers and the checkpoints paused sandboxes become): the data
 * dir, or an S3 bucket. Descriptions are for logs and never hold credentials.
 */
public sealed interface BlobStorage {

    /** {@code <data-dir>/storage/blobs}, the default. */
    record Local() implements BlobStorage {
        @Override
        public String description() {
            return "local (data dir)";
        }
    }

    /**
     * An S3 bucket (or any S3-compatible server at {@code endpoint}).
     *
     * @param prefix prepended to every key, empty or ending in {@code /}
     * @param endpoint null: AWS's own for the region
     * @param region null: the SDK's region chain (AWS_REGION, profile), else us-east-1
     * @param accessKeyId null with {@code secretAccessKey}: the SDK's default credential chain
     */
    record S3(String bucket, String prefix, URI endpoint, String region, boolean pathStyle, String accessKeyId,
            String secretAccessKey) implements BlobStorage {

        public S3 {
            Objects.requireNonNull(bucket, "bucket");
            if (bucket.isBlank()) {
                throw new IllegalArgumentException("an S3 blob store needs a bucket: s3://BUCKET[/PREFIX]");
            }
            prefix = prefix == null || prefix.isBlank() ? "" : prefix.replaceAll("^/+|/+$", "") + "/";
            if ((accessKeyId == null) != (secretAccessKey == null)) {
                throw new IllegalArgumentException("S3 credentials need both an access key id and a secret access key");
            }
        }

        /** Parses {@code s3://bucket[/prefix]}. */
        public static S3 parse(String uri) {
            String v = uri.strip();
            if (!v.startsWith("s3://")) {
                throw new IllegalArgumentException("an S3 blob store is s3://BUCKET[/PREFIX], got '" + v + "'");
            }
            String rest = v.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                throw new IllegalArgumentException("'" + bucket + "' is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')");
            }
            return new S3(bucket, slash < 0 ? "" : rest.substring(slash + 1), null, null, false, null, null);
        }

        public S3 withEndpoint(URI uri) {
            return new S3(bucket, prefix, uri, region, pathStyle, accessKeyId, secretAccessKey);
        }

        public S3 withRegion(String id) {
            return new S3(bucket, prefix, endpoint, id, pathStyle, accessKeyId, secretAccessKey);
        }

        public S3 withPathStyle(boolean on) {
            return new S3(bucket, prefix, endpoint, region, on, accessKeyId, secretAccessKey);
        }

        public S3 withCredentials(String keyId, String secret) {
            return new S3(bucket, prefix, endpoint, region, pathStyle, keyId, secret);
        }

        @Override
        public String description() {
            return "S3 s3://" + bucket + "/" + prefix + (endpoint == null ? "" : " at " + endpoint)
                    + (region == null ? "" : ", region " + region) + (pathStyle ? ", path-style" : "")
                    + (accessKeyId == null ? ", credentials from the AWS SDK's default chain"
                            : ", credentials from the configuration");
        }

        /** Never the secret: records print their components. */
        @Override
        public String toString() {
            return description();
        }
    }

    String description();
}
