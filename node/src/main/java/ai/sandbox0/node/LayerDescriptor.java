package ai.sandbox0.node;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Objects;

/**
 * One layer as OCI describes it: the digest and size of the stored (compressed) blob, the digest
 * of the uncompressed tar ({@code diffID}, what image configs list), and the media type.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LayerDescriptor(Digest digest, Digest diffId, long size, String mediaType) {

    public static final String TAR = "application/vnd.oci.image.layer.v1.tar";
    public static final String TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String DOCKER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /** The diffID of a tar with no entries (two zero blocks): a checkpoint that changed nothing. */
    public static final Digest EMPTY_DIFF_ID =
            Digest.parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");

    public LayerDescriptor {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(mediaType, "mediaType");
    }

    /** True when the layer changes nothing, so a chain need not grow by it. */
    @JsonIgnore
    public boolean isEmpty() {
        return EMPTY_DIFF_ID.equals(diffId);
    }
}
