package ai.sandbox0.node.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.RegistryCredentials;
import ai.sandbox0.node.blob.DigestMismatchException;
import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.layer.HostPrerequisites;
import ai.sandbox0.node.layer.Inode;
import ai.sandbox0.node.layer.LayerCache;
import ai.sandbox0.node.layer.LayerUnpacker;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images from the three sources land as layers a sandbox root can stack, with whiteouts applied. */
class ImageImportTest {

    @TempDir
    Path dir;

    LocalBlobStore blobs;
    LayerCache cache;

    @BeforeAll
    static void needsRoot() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
    }

    @BeforeEach
    void stores() throws IOException {
        blobs = new LocalBlobStore(dir.resolve("blobs"));
        cache = LayerCache.open(dir.resolve("layers"), blobs, new LayerUnpacker());
    }

    @org.junit.jupiter.api.AfterEach
    void closeCache() throws IOException {
        cache.close();
    }

    private ImageStore store(RegistryClient registry) throws IOException {
        return new ImageStore(dir.resolve("images"), blobs, null, null, registry);
    }

    private static RegistryClient registry(String host, RegistryCredentials credentials) {
        return RegistryClient.forThisHost(credentials, Set.of(host));
    }

    @Test
    void importsAnOciLayout() throws Exception {
        var image = new TestImage("hello from oci\n", "amd64");
        image.writeOciLayout(dir.resolve("layout"), "v1");
        var resolved = store(null).resolve("oci:" + dir.resolve("layout") + ":v1", ImageProgress.NONE);
        assertThat(resolved.id()).isEqualTo(image.configDigest().toString());
        assertThat(resolved.config().workingDir()).isEqualTo("/work");
        assertThat(resolved.config().user()).isEqualTo("1000:1000");
        assertThat(resolved.config().env()).contains("GREETING=hello from oci");
        assertRootfs(resolved, "hello from oci\n");
    }

    @Test
    void importsADockerSaveArchive() throws Exception {
        var image = new TestImage("hello from docker save\n", "amd64");
        image.writeDockerArchive(dir.resolve("image.tar"), "example/app:1.0");
        var resolved = store(null).importDockerArchive(dir.resolve("image.tar"), null, ImageProgress.NONE);
        assertThat(resolved.config().cmd()).containsExactly("/bin/tool");
        assertThat(resolved.chain().layers()).allSatisfy(l -> assertThat(l.mediaType()).endsWith("+zstd"));
        assertThat(resolved.chain().layers().get(0).diffId()).isEqualTo(Digest.of(image.tars.get(0)));
        assertRootfs(resolved, "hello from docker save\n");
    }

    @Test
    void pullsFromAnAnonymousRegistryPickingThisPlatformFromAnIndex() throws Exception {
        try (var registry = LocalRegistry.start(dir.resolve("registry"), LocalRegistry.Auth.ANONYMOUS)) {
            var amd64 = new TestImage("hello amd64\n", "amd64");
            var arm64 = new TestImage("hello arm64\n", "arm64");
            registry.push("team/app", "latest", List.of(arm64, amd64), TestImage.index(List.of(arm64, amd64)),
                    OciDocuments.OCI_INDEX);
            var progress = new StringBuilder();
            var images = store(registry(registry.host, RegistryCredentials.ANONYMOUS));
            var resolved = images.resolve(registry.host + "/team/app", m -> progress.append(m).append('\n'));
            assertThat(resolved.id()).isEqualTo(amd64.configDigest().toString());
            assertThat(progress).contains("layer 1/2", "layer 2/2");
            assertRootfs(resolved, "hello amd64\n");
            // Resolved once, remembered: no second fetch.
            var again = new StringBuilder();
            assertThat(images.resolve(registry.host + "/team/app", m -> again.append(m))).isEqualTo(resolved);
            assertThat(again).isEmpty();
            // Pinned by digest.
            var pinned = images.pull(registry.host + "/team/app@" + Digest.of(amd64.manifest), ImageProgress.NONE);
            assertThat(pinned.chain()).isEqualTo(resolved.chain());
        }
    }

    @Test
    void pullsWithBasicAuth() throws Exception {
        try (var registry = LocalRegistry.start(dir.resolve("registry"), LocalRegistry.Auth.BASIC)) {
            var image = new TestImage("hello basic\n", "amd64");
            registry.push("private/app", "1", List.of(image), image.manifest, OciDocuments.OCI_MANIFEST);
            assertThatThrownBy(() -> store(registry(registry.host, RegistryCredentials.ANONYMOUS))
                    .pull(registry.host + "/private/app:1", ImageProgress.NONE))
                    .hasMessageContaining("none is configured");
            var login = RegistryCredentials.of(Map.of(registry.host,
                    new RegistryCredentials.Login(LocalRegistry.USER, LocalRegistry.PASSWORD)));
            var resolved = store(registry(registry.host, login)).pull(registry.host + "/private/app:1", ImageProgress.NONE);
            assertRootfs(resolved, "hello basic\n");
        }
    }

    @Test
    void pullsWithBearerTokens() throws Exception {
        try (var registry = LocalRegistry.start(dir.resolve("registry"), LocalRegistry.Auth.TOKEN)) {
            var image = new TestImage("hello token\n", "amd64");
            registry.push("private/app", "1", List.of(image), image.manifest, OciDocuments.OCI_MANIFEST);
            var wrong = RegistryCredentials.of(Map.of(registry.host, new RegistryCredentials.Login(LocalRegistry.USER, "nope")));
            assertThatThrownBy(() -> store(registry(registry.host, wrong)).pull(registry.host + "/private/app:1",
                    ImageProgress.NONE)).hasMessageContaining("token service").hasMessageContaining("401")
                    .hasMessageNotContaining("nope");
            var login = RegistryCredentials.of(Map.of(registry.host,
                    new RegistryCredentials.Login(LocalRegistry.USER, LocalRegistry.PASSWORD)));
            var resolved = store(registry(registry.host, login)).pull(registry.host + "/private/app:1", ImageProgress.NONE);
            assertRootfs(resolved, "hello token\n");
        }
    }

    @Test
    void aLayerThatDoesNotMatchItsDigestIsRefused() throws Exception {
        var image = new TestImage("honest\n", "amd64");
        Digest layer = Digest.of(image.blobs.get(0));
        HttpServer evil = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        evil.createContext("/v2/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body = path.endsWith("/manifests/latest") ? image.manifest
                    : path.endsWith(image.configDigest().toString()) ? image.config
                    : TestImage.gzip("tampered".getBytes(StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        evil.start();
        try {
            String host = "127.0.0.1:" + evil.getAddress().getPort();
            assertThatThrownBy(() -> store(registry(host, RegistryCredentials.ANONYMOUS)).pull(host + "/evil/app",
                    ImageProgress.NONE)).isInstanceOf(DigestMismatchException.class).hasMessageContaining(layer.toString());
            assertThat(blobs.exists(layer)).isFalse();
        } finally {
            evil.stop(0);
        }
    }

    @Test
    void referencesParseLikeDocker() {
        assertThat(RegistryReference.parse("python:3.12-slim"))
                .isEqualTo(new RegistryReference("docker.io", "library/python", "3.12-slim", null));
        assertThat(RegistryReference.parse("localhost:5000/a/b").tag()).isEqualTo("latest");
        assertThat(RegistryReference.parse("ghcr.io/openclaw/openclaw:latest").registry()).isEqualTo("ghcr.io");
        var pinned = RegistryReference.parse("r.example:443/x@sha256:" + "a".repeat(64));
        assertThat(pinned.tag()).isNull();
        assertThat(pinned.manifestReference()).isEqualTo("sha256:" + "a".repeat(64));
        assertThatThrownBy(() -> RegistryReference.parse("UPPER/case")).isInstanceOf(IllegalArgumentException.class);
    }

    /** Stacks the image's layers in a real overlay and looks at what a sandbox would see. */
    private void assertRootfs(Image image, String greeting) throws Exception {
        try (var lease = cache.acquire(image.chain())) {
            Path merged = Files.createDirectories(dir.resolve("merged-" + System.nanoTime()));
            Path upper = Files.createDirectories(merged.resolveSibling(merged.getFileName() + "-upper"));
            Path work = Files.createDirectories(merged.resolveSibling(merged.getFileName() + "-work"));
            run("mount", "-t", "overlay", "overlay", "-o", lease.overlayOptions(upper, work), merged.toString());
            try {
                assertThat(Files.readString(merged.resolve("hello.txt"))).isEqualTo(greeting);
                assertThat(merged.resolve("etc/gone")).doesNotExist();
                assertThat(merged.resolve("etc")).isEmptyDirectory();
                assertThat(Inode.require(merged.resolve("bin/tool")).mode()).isEqualTo(0755);
            } finally {
                run("umount", merged.toString());
            }
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command) + ": " + out);
        }
    }
}
