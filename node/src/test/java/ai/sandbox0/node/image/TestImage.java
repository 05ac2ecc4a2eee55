package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.layer.TarEntry;
import ai.sandbox0.node.layer.TarWriter;
import com.github.luben.zstd.Zstd;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A tiny two-layer image made from files written here: layer 1 has /hello.txt and /etc/gone,
 * layer 2 deletes /etc/gone and adds /bin/tool. Renders itself as an OCI layout, a docker save
 * archive, or blobs and manifests to push to a registry.
 */
final class TestImage {

    static final Instant T = Instant.parse("2021-02-03T04:05:06Z");

    final List<byte[]> tars = new ArrayList<>();
    final List<byte[]> blobs = new ArrayList<>();
    final List<String> mediaTypes = new ArrayList<>();
    final byte[] config;
    final byte[] manifest;
    final String architecture;

    TestImage(String greeting, String architecture) throws IOException {
        this.architecture = architecture;
        tars.add(tar(w -> {
            file(w, "hello.txt", greeting);
            w.write(TarEntry.directory("etc", 0755, T), null);
            file(w, "etc/gone", "to be deleted\n");
        }));
        tars.add(tar(w -> {
            w.write(TarEntry.file("etc/.wh.gone", 0, 0, T), null);
            w.write(TarEntry.directory("bin", 0755, T), null);
            w.write(new TarEntry("bin/tool", TarEntry.Type.FILE, 0755, 0, 0, 3, T, "", 0, 0, null),
                    new ByteArrayInputStream("hi\n".getBytes(StandardCharsets.UTF_8)));
        }));
        blobs.add(gzip(tars.get(0)));
        mediaTypes.add("application/vnd.oci.image.layer.v1.tar+gzip");
        blobs.add(Zstd.compress(tars.get(1)));
        mediaTypes.add("application/vnd.oci.image.layer.v1.tar+zstd");
        config = ("{\"architecture\":\"" + architecture + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\",\"GREETING="
                + greeting.strip() + "\"],\"WorkingDir\":\"/work\",\"User\":\"1000:1000\",\"Cmd\":[\"/bin/tool\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Digest.of(tars.get(0)) + "\",\"" + Digest.of(tars.get(1))
                + "\"]}}").getBytes(StandardCharsets.UTF_8);
        var layers = new ArrayList<String>();
        for (int i = 0; i < blobs.size(); i++) {
            layers.add(descriptor(mediaTypes.get(i), blobs.get(i)));
        }
        manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OciDocuments.OCI_MANIFEST + "\",\"config\":"
                + descriptor(OciDocuments.OCI_CONFIG, config) + ",\"layers\":[" + String.join(",", layers) + "]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    Digest configDigest() {
        return Digest.of(config);
    }

    /** All blobs a registry or layout must hold, by digest. */
    Map<Digest, byte[]> allBlobs() {
        var all = new LinkedHashMap<Digest, byte[]>();
        for (byte[] b : blobs) {
            all.put(Digest.of(b), b);
        }
        all.put(Digest.of(config), config);
        return all;
    }

    static String descriptor(String mediaType, byte[] content) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.of(content) + "\",\"size\":" + content.length + "}";
    }

    /** An OCI index over several images, each tagged with its platform. */
    static byte[] index(List<TestImage> images) {
        var entries = new ArrayList<String>();
        for (TestImage image : images) {
            String d = descriptor(OciDocuments.OCI_MANIFEST, image.manifest);
            entries.add(d.substring(0, d.length() - 1) + ",\"platform\":{\"architecture\":\"" + image.architecture
                    + "\",\"os\":\"linux\"}}");
        }
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OciDocuments.OCI_INDEX + "\",\"manifests\":["
                + String.join(",", entries) + "]}").getBytes(StandardCharsets.UTF_8);
    }

    void writeOciLayout(Path dir, String tag) throws IOException {
        Path blobDir = Files.createDirectories(dir.resolve("blobs/sha256"));
        for (var b : allBlobs().entrySet()) {
            Files.write(blobDir.resolve(b.getKey().hex()), b.getValue());
        }
        Files.write(blobDir.resolve(Digest.of(manifest).hex()), manifest);
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        String d = descriptor(OciDocuments.OCI_MANIFEST, manifest);
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + d.substring(0, d.length() - 1)
                + ",\"annotations\":{\"" + OciLayoutImporter.REF_NAME + "\":\"" + tag + "\"}}]}");
    }

    /** The legacy {@code docker save} format: plain layer tars named by directory, manifest.json last. */
    void writeDockerArchive(Path file, String repoTag) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            var w = new TarWriter(out);
            String configName = configDigest().hex() + ".json";
            bytes(w, configName, config);
            var layerNames = new ArrayList<String>();
            for (int i = 0; i < tars.size(); i++) {
                String name = "layer" + i + "/layer.tar";
                w.write(TarEntry.directory("layer" + i, 0755, T), null);
                bytes(w, name, tars.get(i));
                layerNames.add("\"" + name + "\"");
            }
            bytes(w, "manifest.json", ("[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + repoTag + "\"],\"Layers\":["
                    + String.join(",", layerNames) + "]}]").getBytes(StandardCharsets.UTF_8));
            w.finish();
        }
    }

    interface TarWrites {
        void write(TarWriter w) throws IOException;
    }

    static byte[] tar(TarWrites writes) throws IOException {
        var out = new ByteArrayOutputStream();
        var w = new TarWriter(out);
        writes.write(w);
        w.finish();
        return out.toByteArray();
    }

    static void file(TarWriter w, String name, String content) throws IOException {
        bytes(w, name, content.getBytes(StandardCharsets.UTF_8));
    }

    static void bytes(TarWriter w, String name, byte[] content) throws IOException {
        w.write(TarEntry.file(name, 0644, content.length, T), new ByteArrayInputStream(content));
    }

    static byte[] gzip(byte[] data) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
