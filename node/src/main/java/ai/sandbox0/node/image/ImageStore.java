package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The images a node can start sandboxes from, by reference:
 * <ul>
 *   <li>{@code default}: the builtin Debian image, built once per host ({@link HostImageCache});
 *   <li>{@code oci:<dir>[:<tag>]}: an OCI image layout directory;
 *   <li>{@code docker-archive:<file>[:<tag>]}: a {@code docker save} tarball;
 *   <li>anything else: a registry reference such as {@code python:3.12-slim} or
 *       {@code registry.local:5000/team/app@sha256:…}.
 * </ul>
 * Layers land in the node's {@link BlobStore}; the {@link Image} records which, so the runtime
 * hands {@link Image#chain()} to the layer cache. A resolved reference is remembered in
 * {@code <index>/} and not fetched again until {@link #pull} or an explicit import.
 */
public final class ImageStore {

    public static final String DEFAULT = "default";

    private final Path index;
    private final BlobStore blobs;
    private final HostImageCache hostCache;
    private final RootfsRecipe defaultRecipe;
    private final RegistryClient registry;
    private final OciDocuments.Platform platform;

    public ImageStore(Path index, BlobStore blobs, HostImageCache hostCache, RootfsRecipe defaultRecipe,
            RegistryClient registry) throws IOException {
        this.index = Files.createDirectories(index);
        this.blobs = blobs;
        this.hostCache = hostCache;
        this.defaultRecipe = defaultRecipe;
        this.registry = registry;
        this.platform = new OciDocuments.Platform(RootfsRecipe.debianArch(), "linux", null);
    }

    /** The image for a template's {@code image} field, fetching or building it if needed. */
    public Image resolve(String reference, ImageProgress progress) throws IOException {
        String ref = reference.strip();
        if (ref.equals(DEFAULT)) {
            return defaultImage(progress);
        }
        Optional<Image> known = find(ref);
        if (known.isPresent()) {
            return known.get();
        }
        if (ref.startsWith("oci:")) {
            var pathAndTag = splitTag(ref.substring("oci:".length()));
            return remember(ref, new OciLayoutImporter(blobs, platform).importLayout(pathAndTag[0] == null ? null
                    : Path.of(pathAndTag[0]), pathAndTag[1], progress));
        }
        if (ref.startsWith("docker-archive:")) {
            var pathAndTag = splitTag(ref.substring("docker-archive:".length()));
            return remember(ref, new DockerArchiveImporter(blobs).importArchive(Path.of(pathAndTag[0]), pathAndTag[1], progress));
        }
        return pull(ref, progress);
    }

    /** The builtin image, built on this host's first use and copied into this node's blob store. */
    public Image defaultImage(ImageProgress progress) throws IOException {
        if (hostCache == null || defaultRecipe == null) {
            throw new ImageException("resolve image 'default': this node has no builtin image builder configured");
        }
        var built = hostCache.ensure(defaultRecipe, progress);
        Digest digest = built.layer().digest();
        if (!blobs.exists(digest)) {
            try (InputStream in = hostCache.blobs().open(digest)) {
                blobs.put(in, digest);
            }
        }
        return new Image("builtin:" + DEFAULT + "@" + built.recipeKey(), DEFAULT, LayerChain.of(built.layer()),
                built.config());
    }

    public Image importOciLayout(Path layout, String tag, ImageProgress progress) throws IOException {
        String ref = "oci:" + layout + (tag == null ? "" : ":" + tag);
        return remember(ref, new OciLayoutImporter(blobs, platform).importLayout(layout, tag, progress));
    }

    public Image importDockerArchive(Path archive, String tag, ImageProgress progress) throws IOException {
        String ref = "docker-archive:" + archive + (tag == null ? "" : ":" + tag);
        return remember(ref, new DockerArchiveImporter(blobs).importArchive(archive, tag, progress));
    }

    /** Fetches the manifest again (a tag may have moved) and any layers not yet stored. */
    public Image pull(String reference, ImageProgress progress) throws IOException {
        RegistryReference parsed;
        try {
            parsed = RegistryReference.parse(reference);
        } catch (IllegalArgumentException e) {
            throw new ImageException("resolve image '" + reference + "': " + e.getMessage());
        }
        if (registry == null) {
            throw new ImageException("resolve image '" + reference + "': this node has no registry client configured");
        }
        return remember(reference, registry.pull(parsed, blobs, progress));
    }

    /** A previously resolved image whose layers are all still in the blob store. */
    public Optional<Image> find(String reference) throws IOException {
        Path file = indexFile(reference);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Stored s = OciDocuments.JSON.readValue(file.toFile(), Stored.class);
        for (LayerDescriptor layer : s.layers()) {
            if (!blobs.exists(layer.digest())) {
                return Optional.empty();
            }
        }
        return Optional.of(new Image(s.id(), s.reference(), new LayerChain(s.layers()), s.config()));
    }

    /** Every layer an image in the index names: blobs a collector must keep. */
    public Set<Digest> referencedLayers() throws IOException {
        var digests = new HashSet<Digest>();
        if (!Files.isDirectory(index)) {
            return digests;
        }
        try (var files = Files.newDirectoryStream(index, "*.json")) {
            for (Path file : files) {
                Stored s = OciDocuments.JSON.readValue(file.toFile(), Stored.class);
                s.layers().forEach(l -> digests.add(l.digest()));
            }
        }
        return digests;
    }

    private record Stored(String reference, String id, List<LayerDescriptor> layers, ImageConfig config) {
    }

    private Image remember(String reference, Image image) throws IOException {
        byte[] json = OciDocuments.JSON.writeValueAsBytes(
                new Stored(reference, image.id(), image.chain().layers(), image.config()));
        Path file = indexFile(reference);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().threadId());
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(json));
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return new Image(image.id(), reference, image.chain(), image.config());
    }

    private Path indexFile(String reference) {
        return index.resolve(Digest.of(reference.strip().getBytes(StandardCharsets.UTF_8)).hex() + ".json");
    }

    /** {@code /path/to/x:tag} → [path, tag]; a colon inside the last path component starts the tag. */
    private static String[] splitTag(String text) {
        int colon = text.lastIndexOf(':');
        if (colon > text.lastIndexOf('/')) {
            return new String[] {text.substring(0, colon), text.substring(colon + 1)};
        }
        return new String[] {text, null};
    }
}
