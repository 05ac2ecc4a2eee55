package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.DigestMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;

/**
 * Copies the config and layers a manifest names from a source (a registry, a layout directory)
 * into the node's blob store, verifying every digest, and describes the result as an {@link Image}.
 * Layers already stored are not fetched again.
 */
final class ManifestImporter {

    private static final int MAX_CONFIG = 8 << 20;

    /** Opens a blob of the source by descriptor. */
    @FunctionalInterface
    interface BlobSource {
        InputStream open(OciDocuments.Descriptor descriptor) throws IOException;
    }

    private final BlobStore blobs;

    ManifestImporter(BlobStore blobs) {
        this.blobs = blobs;
    }

    Image importImage(String reference, OciDocuments.Manifest manifest, BlobSource source, ImageProgress progress)
            throws IOException {
        if (manifest.config() == null || manifest.layers() == null) {
            throw new ImageException("import " + reference + ": the manifest names no config or no layers");
        }
        Digest configDigest = digestOf(manifest.config(), reference);
        byte[] configBytes;
        try (InputStream in = source.open(manifest.config())) {
            configBytes = in.readNBytes(MAX_CONFIG + 1);
        }
        if (configBytes.length > MAX_CONFIG) {
            throw new ImageException("import " + reference + ": config larger than " + MAX_CONFIG + " bytes");
        }
        if (!Digest.of(configBytes).equals(configDigest)) {
            throw new DigestMismatchException(configDigest, Digest.of(configBytes), "import " + reference + ": config");
        }
        var config = OciDocuments.parse(configBytes, OciDocuments.ConfigFile.class, "import " + reference + ": config");
        var diffIds = config.rootfs() == null || config.rootfs().diffIds() == null ? null : config.rootfs().diffIds();
        if (diffIds != null && diffIds.size() != manifest.layers().size()) {
            throw new ImageException("import " + reference + ": manifest has " + manifest.layers().size()
                    + " layers but the config lists " + diffIds.size() + " diff_ids");
        }
        blobs.put(new java.io.ByteArrayInputStream(configBytes), configDigest);

        var layers = new ArrayList<LayerDescriptor>();
        int n = 0;
        for (OciDocuments.Descriptor d : manifest.layers()) {
            n++;
            if ((d.urls() != null && !d.urls().isEmpty()) || String.valueOf(d.mediaType()).contains("nondistributable")
                    || String.valueOf(d.mediaType()).contains("foreign")) {
                throw new ImageException("import " + reference + ": layer " + d.digest() + " is a foreign layer, not supported");
            }
            Digest digest = digestOf(d, reference);
            if (!blobs.exists(digest)) {
                progress.report("import " + reference + ": layer " + n + "/" + manifest.layers().size() + " "
                        + digest.shortHex() + " (" + d.size() / 1024 + " KiB)");
                try (InputStream in = source.open(d)) {
                    var stored = blobs.put(in, digest);
                    if (d.size() > 0 && stored.size() != d.size()) {
                        blobs.delete(digest);
                        throw new ImageException("import " + reference + ": layer " + digest + " is " + stored.size()
                                + " bytes, the manifest says " + d.size());
                    }
                }
            }
            Digest diffId = diffIds == null ? null : Digest.parse(diffIds.get(n - 1));
            layers.add(new LayerDescriptor(digest, diffId, d.size(), d.mediaType() == null ? LayerDescriptor.TAR_GZIP : d.mediaType()));
        }
        progress.report("import " + reference + ": " + layers.size() + " layers, image " + configDigest.shortHex());
        return new Image(configDigest.toString(), reference, new LayerChain(layers), config.imageConfig());
    }

    private static Digest digestOf(OciDocuments.Descriptor d, String reference) throws ImageException {
        try {
            return Digest.parse(d.digest());
        } catch (IllegalArgumentException e) {
            throw new ImageException("import " + reference + ": unsupported digest '" + d.digest() + "'");
        }
    }
}
