package ai.sandbox0.node.image;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.layer.HostPrerequisites;
import ai.sandbox0.node.layer.LayerCache;
import ai.sandbox0.node.layer.LayerUnpacker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builtin image, for real: debootstrap and apt from the Debian mirror into the host cache (a few
 * minutes on first use; later runs reuse /var/cache/sandbox0), then python3, pip, node, npm, git, curl
 * and a C compiler run in a chroot over the overlay a sandbox would get.
 */
class DefaultImageTest {

    static final Path HOST_CACHE = Path.of(System.getProperty("s0.imageCache", HostImageCache.DEFAULT_ROOT.toString()));
    static final Path DEBOOTSTRAP = Path.of("/usr/sbin/debootstrap");

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRootAndDebootstrap() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
        if (!Files.isExecutable(DEBOOTSTRAP)) {
            throw new AssertionError("this test needs debootstrap: apt-get install debootstrap");
        }
    }

    @Test
    void theDefaultImageHasTheToolsAgentsExpectAndNothingOfTheHost() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        var hostCache = new HostImageCache(HOST_CACHE, new Debootstrap(DEBOOTSTRAP), MountTable.ofThisHost());
        var store = new ImageStore(dir.resolve("images"), blobs, hostCache,
                RootfsRecipe.defaultImage(RootfsRecipe.DEBIAN_MIRROR), null);
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        Image image = store.resolve("default", progress::add);
        assertThat(image.chain().depth()).isEqualTo(1);
        assertThat(blobs.exists(image.chain().layers().getFirst().digest())).isTrue();
        assertThat(image.config().env()).anyMatch(e -> e.startsWith("PATH="));

        List<String> second = new ArrayList<>();
        assertThat(store.resolve("default", second::add)).isEqualTo(image);
        assertThat(second).as("built once, then reused").noneMatch(l -> l.contains("building"));

        try (var cache = LayerCache.open(dir.resolve("layers"), blobs, new LayerUnpacker());
                var lease = cache.acquire(image.chain())) {
            Path merged = Files.createDirectories(dir.resolve("merged"));
            Path upper = Files.createDirectories(dir.resolve("upper"));
            Path work = Files.createDirectories(dir.resolve("work"));
            run("mount", "-t", "overlay", "overlay", "-o", lease.overlayOptions(upper, work), merged.toString());
            try {
                assertThat(merged.resolve("etc/hostname")).doesNotExist();
                assertThat(merged.resolve("etc/resolv.conf")).isEmptyFile();
                assertThat(merged.resolve("dev")).isEmptyDirectory();
                try (var debs = Files.list(merged.resolve("var/cache/apt/archives"))) {
                    assertThat(debs.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".deb"));
                }
                // What runc gives every sandbox: /proc and a /dev (node needs both to start).
                run("mount", "-t", "proc", "proc", merged.resolve("proc").toString());
                run("mount", "--bind", "/dev", merged.resolve("dev").toString());
                try {
                    String out = run("chroot", merged.toString(), "/bin/bash", "-c",
                            "python3 -c 'print(6*7)' && node -e 'console.log(6*7)' && git --version && curl --version | head -1"
                            + " && pip3 --version && npm --version && cc --version | head -1 && make --version | head -1"
                            + " && test ! -e /usr/sbin/policy-rc.d && echo no-policy");
                    assertThat(out).contains("42\n42\n", "git version", "curl ", "pip ", "cc (Debian", "GNU Make", "no-policy");
                } finally {
                    run("umount", merged.resolve("dev").toString());
                    run("umount", merged.resolve("proc").toString());
                }
            } finally {
                run("umount", merged.toString());
            }
        }
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command) + ": " + out);
        }
        return out;
    }
}
