package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.Blob;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.BlobUpload;
import ai.sandbox0.node.layer.LayerCompression;
import ai.sandbox0.node.layer.TarEntry;
import ai.sandbox0.node.layer.TarReader;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Imports a {@code docker save} tarball: {@code manifest.json} names the config and the layer tars
 * by path. Layers there are plain tars (sometimes gzip); each is recompressed to zstd on the way
 * into the blob store, and its diffID is checked against the config. Two passes over the file:
 * the manifest comes last in many archives, and layers stream rather than sit in memory.
 */
final class DockerArchiveImporter {

    private final BlobStore blobs;

    DockerArchiveImporter(BlobStore blobs) {
        this.blobs = blobs;
    }

    /** @param tag which {@code RepoTags} entry to import, or null when the archive holds one image */
    Image importArchive(Path archive, String tag, ImageProgress progress) throws IOException {
        String reference = "docker-archive:" + archive + (tag == null ? "" : ":" + tag);
        // Pass 1: the small JSON documents.
        Map<String, byte[]> documents = new HashMap<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            var tar = new TarReader(in);
            TarEntry e;
            while ((e = tar.next()) != null) {
                if (e.type() == TarEntry.Type.FILE && e.name().endsWith(".json") && e.size() < (8 << 20)) {
                    documents.put(clean(e.name()), tar.content().readAllBytes());
                }
            }
        }
        byte[] manifestJson = documents.get("manifest.json");
        if (manifestJson == null) {
            throw new ImageException("import " + reference + ": no manifest.json, not a docker save archive");
        }
        var images = OciDocuments.JSON.readValue(manifestJson, OciDocuments.ArchiveImage[].class);
        List<OciDocuments.ArchiveImage> candidates = new ArrayList<>();
        for (var image : images) {
            if (tag == null || (image.repoTags() != null && image.repoTags().stream()
                    .anyMatch(t -> t.equals(tag) || t.endsWith(":" + tag) || t.startsWith(tag + ":")))) {
                candidates.add(image);
            }
        }
        if (candidates.size() != 1) {
            throw new ImageException("import " + reference + ": " + candidates.size() + " images match; name one by tag");
        }
        var image = candidates.getFirst();
        byte[] configBytes = documents.get(clean(image.config()));
        if (configBytes == null) {
            throw new ImageException("import " + reference + ": config " + image.config() + " is missing");
        }
        var config = OciDocuments.parse(configBytes, OciDocuments.ConfigFile.class, "import " + reference + ": config");
        List<String> diffIds = config.rootfs() == null ? null : config.rootfs().diffIds();
        if (diffIds == null || diffIds.size() != image.layers().size()) {
            throw new ImageException("import " + reference + ": config lists " + (diffIds == null ? 0 : diffIds.size())
                    + " diff_ids for " + image.layers().size() + " layers");
        }
        Digest configDigest = blobs.put(new java.io.ByteArrayInputStream(configBytes)).digest();

        // Pass 2: stream each layer tar through zstd into the store.
        Map<String, LayerDescriptor> stored = new HashMap<>();
        var wanted = image.layers().stream().map(DockerArchiveImporter::clean).toList();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            var tar = new TarReader(in);
            TarEntry e;
            while ((e = tar.next()) != null) {
                String name = clean(e.name());
                if (e.type() != TarEntry.Type.FILE || !wanted.contains(name) || stored.containsKey(name)) {
                    continue;
                }
                progress.report("import " + reference + ": layer " + (wanted.indexOf(name) + 1) + "/" + wanted.size());
                stored.put(name, recompress(tar.content(), reference, name));
            }
        }
        var layers = new ArrayList<LayerDescriptor>();
        for (int i = 0; i < wanted.size(); i++) {
            LayerDescriptor layer = stored.get(wanted.get(i));
            if (layer == null) {
                throw new ImageException("import " + reference + ": layer " + wanted.get(i) + " is missing");
            }
            Digest expected = Digest.parse(diffIds.get(i));
            if (!expected.equals(layer.diffId())) {
                throw new ai.sandbox0.node.blob.DigestMismatchException(expected, layer.diffId(),
                        "import " + reference + ": layer " + wanted.get(i));
            }
            layers.add(layer);
        }
        return new Image(configDigest.toString(), reference, new LayerChain(layers), config.imageConfig());
    }

    private LayerDescriptor recompress(InputStream layerTar, String reference, String name) throws IOException {
        MessageDigest diff = Digest.newSha256();
        Blob blob;
        try (BlobUpload upload = blobs.upload()) {
            var zstd = new ZstdOutputStream(upload.stream(), 3);
            zstd.setWorkers(Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 4));
            try (OutputStream out = new DigestOutputStream(zstd, diff);
                    InputStream tar = LayerCompression.decompress(layerTar)) {
                tar.transferTo(out);
            }
            blob = upload.commit();
        } catch (IOException e) {
            throw new ImageException("import " + reference + ": layer " + name + ": " + e.getMessage(), e);
        }
        return new LayerDescriptor(blob.digest(), Digest.of(diff), blob.size(), LayerDescriptor.TAR_ZSTD);
    }

    private static String clean(String name) {
        String n = name;
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n;
    }
}
