package ai.sandbox0.node.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The OCI (and Docker v2) JSON documents an import reads: index / manifest list, manifest, config.
 * Field names are the wire names; unknown fields are ignored.
 */
public final class OciDocuments {

    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

    private OciDocuments() {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Platform(String architecture, String os, String variant) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations,
            Platform platform, List<String> urls) {
    }

    /** An index or a manifest: which one it is shows in {@link #isIndex()}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Manifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
            List<Descriptor> manifests) {

        public boolean isIndex() {
            return manifests != null && (config == null || OCI_INDEX.equals(mediaType)
                    || DOCKER_MANIFEST_LIST.equals(mediaType));
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ContainerConfig(@JsonProperty("Env") List<String> env, @JsonProperty("WorkingDir") String workingDir,
            @JsonProperty("User") String user, @JsonProperty("Entrypoint") List<String> entrypoint,
            @JsonProperty("Cmd") List<String> cmd) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(String type, @JsonProperty("diff_ids") List<String> diffIds) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ConfigFile(String architecture, String os, ContainerConfig config, RootFs rootfs) {

        public ImageConfig imageConfig() {
            if (config == null) {
                return new ImageConfig(null, null, null, null, null);
            }
            return new ImageConfig(config.env(), config.workingDir(), config.user(), config.entrypoint(), config.cmd());
        }
    }

    /** One image of a {@code docker save} archive's manifest.json. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ArchiveImage(@JsonProperty("Config") String config, @JsonProperty("RepoTags") List<String> repoTags,
            @JsonProperty("Layers") List<String> layers) {
    }

    public static <T> T parse(byte[] json, Class<T> type, String what) throws ImageException {
        try {
            return JSON.readValue(json, type);
        } catch (IOException e) {
            throw new ImageException(what + ": not a valid " + type.getSimpleName() + " document: " + firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
