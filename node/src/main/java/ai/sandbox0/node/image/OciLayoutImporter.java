package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.blob.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** Imports an image from an OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/}). */
final class OciLayoutImporter {

    static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final BlobStore blobs;
    private final OciDocuments.Platform platform;

    OciLayoutImporter(BlobStore blobs, OciDocuments.Platform platform) {
        this.blobs = blobs;
        this.platform = platform;
    }

    /** @param tag the {@code ref.name} annotation to pick, or null when the layout holds one image */
    Image importLayout(Path layout, String tag, ImageProgress progress) throws IOException {
        String reference = "oci:" + layout + (tag == null ? "" : ":" + tag);
        if (!Files.isRegularFile(layout.resolve("oci-layout"))) {
            throw new ImageException("import " + reference + ": no oci-layout file, not an OCI image layout");
        }
        var index = OciDocuments.parse(read(layout.resolve("index.json"), reference), OciDocuments.Manifest.class,
                "import " + reference + ": index.json");
        List<OciDocuments.Descriptor> candidates = index.manifests() == null ? List.of() : index.manifests();
        if (tag != null) {
            candidates = candidates.stream().filter(d -> d.annotations() != null
                    && (tag.equals(d.annotations().get(REF_NAME))
                            || Objects.requireNonNullElse(d.annotations().get(REF_NAME), "").endsWith(":" + tag)))
                    .toList();
        }
        if (candidates.size() != 1) {
            throw new ImageException("import " + reference + ": " + (candidates.isEmpty() ? "no image" : candidates.size()
                    + " images") + (tag == null ? " in the layout; name a tag" : " tagged " + tag));
        }
        OciDocuments.Descriptor chosen = candidates.getFirst();
        var manifest = OciDocuments.parse(blob(layout, chosen, reference), OciDocuments.Manifest.class,
                "import " + reference + ": manifest");
        if (manifest.isIndex()) {
            chosen = manifest.manifests().stream()
                    .filter(d -> d.platform() == null || (platform.os().equals(d.platform().os())
                            && platform.architecture().equals(d.platform().architecture())))
                    .findFirst()
                    .orElseThrow(() -> new ImageException("import " + reference + ": no manifest for "
                            + platform.os() + "/" + platform.architecture()));
            manifest = OciDocuments.parse(blob(layout, chosen, reference), OciDocuments.Manifest.class,
                    "import " + reference + ": manifest");
        }
        return new ManifestImporter(blobs).importImage(reference, manifest,
                d -> Files.newInputStream(blobPath(layout, d, reference)), progress);
    }

    private static byte[] blob(Path layout, OciDocuments.Descriptor d, String reference) throws IOException {
        byte[] bytes = read(blobPath(layout, d, reference), reference);
        Digest expected = Digest.parse(d.digest());
        if (!Digest.of(bytes).equals(expected)) {
            throw new ai.sandbox0.node.blob.DigestMismatchException(expected, Digest.of(bytes), "import " + reference);
        }
        return bytes;
    }

    private static Path blobPath(Path layout, OciDocuments.Descriptor d, String reference) throws ImageException {
        try {
            return layout.resolve("blobs").resolve(Digest.ALGORITHM).resolve(Digest.parse(d.digest()).hex());
        } catch (IllegalArgumentException e) {
            throw new ImageException("import " + reference + ": unsupported digest '" + d.digest() + "'");
        }
    }

    private static byte[] read(Path file, String reference) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((4 << 20) + 1);
            if (bytes.length > 4 << 20) {
                throw new ImageException("import " + reference + ": " + file.getFileName() + " is too large");
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new ImageException("import " + reference + ": missing " + file);
        }
    }
}
