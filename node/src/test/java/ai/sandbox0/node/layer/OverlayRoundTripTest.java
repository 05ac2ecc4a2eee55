package ai.sandbox0.node.layer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.LocalBlobStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sandbox's changes survive checkpoint → new run exactly: real overlay mounts, the upper dir
 * exported as a layer, a fresh cache extracting the chain from the blob store, a fresh mount.
 */
class OverlayRoundTripTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRoot() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
    }

    @Test
    void everyKindOfChangeSurvivesCheckpointAndANewRun() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        var exporter = new LayerExporter(blobs);
        LayerDescriptor base = exporter.export(baseTree(dir.resolve("base")));

        LayerDescriptor checkpoint;
        Map<String, String> expected;
        try (var cache = LayerCache.open(dir.resolve("cache1"), blobs, new LayerUnpacker());
                var lease = cache.acquire(LayerChain.of(base));
                var run = Overlay.mount(lease, dir.resolve("run1"))) {
            Path m = run.merged;
            Files.writeString(m.resolve("new.txt"), "written in run 1\n");
            Files.setLastModifiedTime(m.resolve("new.txt"), FileTime.from(Instant.parse("2024-05-06T07:08:09.123456789Z")));
            Files.createLink(m.resolve("new-hardlink.txt"), m.resolve("new.txt"));
            Files.delete(m.resolve("lower-file.txt"));
            Files.createSymbolicLink(m.resolve("link"), Path.of("etc/motd"));
            Posix.chmod(m.resolve("tool.sh"), 04755);
            Files.createDirectory(m.resolve("empty-dir"));
            // replace a directory from the lower layer with a new one: overlay marks it opaque
            Files.delete(m.resolve("replaced/old-1"));
            Files.delete(m.resolve("replaced/old-2"));
            Files.delete(m.resolve("replaced"));
            Files.createDirectory(m.resolve("replaced"));
            Files.writeString(m.resolve("replaced/fresh"), "only me\n");
            Files.writeString(m.resolve("etc/motd"), "changed\n");
            Posix.lchown(m.resolve("etc/motd"), 1234, 5678);
            Posix.mknod(m.resolve("fifo"), Posix.S_IFIFO | 0640, 0, 0);
            Posix.lsetxattr(m.resolve("new.txt"), "user.note", "hi".getBytes(StandardCharsets.UTF_8));
            Posix.lsetxattr(m.resolve("tool.sh"), "security.capability", netRawCapability());
            expected = TreeView.of(m);
            run.unmount();
            assertThat(Inode.require(run.upper.resolve("lower-file.txt")).isWhiteout()).isTrue();
            assertThat(Posix.lgetxattr(run.upper.resolve("replaced"), "trusted.overlay.opaque")).hasValueSatisfying(
                    v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("y"));
            checkpoint = exporter.export(run.upper);
        }

        // A fresh node: nothing extracted, only the blobs.
        try (var cache = LayerCache.open(dir.resolve("cache2"), blobs, new LayerUnpacker());
                var lease = cache.acquire(LayerChain.of(base, checkpoint));
                var run = Overlay.mount(lease, dir.resolve("run2"))) {
            Path m = run.merged;
            assertThat(TreeView.of(m)).isEqualTo(expected);
            assertThat(Files.readString(m.resolve("new.txt"))).isEqualTo("written in run 1\n");
            assertThat(m.resolve("lower-file.txt")).doesNotExist();
            assertThat(Files.readSymbolicLink(m.resolve("link"))).isEqualTo(Path.of("etc/motd"));
            assertThat(Inode.require(m.resolve("tool.sh")).mode()).isEqualTo(04755);
            assertThat(m.resolve("empty-dir")).isEmptyDirectory();
            try (var children = Files.list(m.resolve("replaced"))) {
                assertThat(children.map(p -> p.getFileName().toString())).containsExactly("fresh");
            }
            assertThat(Inode.require(m.resolve("new.txt")).ino()).isEqualTo(Inode.require(m.resolve("new-hardlink.txt")).ino());
            assertThat(Inode.require(m.resolve("etc/motd")).uid()).isEqualTo(1234);
            assertThat(Posix.lgetxattr(m.resolve("tool.sh"), "security.capability")).hasValue(netRawCapability());
            assertThat(Inode.require(m.resolve("new.txt")).mtime()).isEqualTo(Instant.parse("2024-05-06T07:08:09.123456789Z"));
            assertThat(Inode.require(m.resolve("fifo")).kind()).isEqualTo(Inode.Kind.FIFO);
        }
    }

    @Test
    void squashingAThreeLayerChainKeepsTheMergedView() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        var exporter = new LayerExporter(blobs);
        LayerChain chain = LayerChain.of(exporter.export(baseTree(dir.resolve("base"))));
        try (var cache = LayerCache.open(dir.resolve("cache"), blobs, new LayerUnpacker())) {
            // Run 1: delete, replace a dir, add files.
            chain = chain.plus(checkpoint(cache, exporter, chain, "run1", m -> {
                Files.delete(m.resolve("lower-file.txt"));
                Files.delete(m.resolve("replaced/old-1"));
                Files.delete(m.resolve("replaced/old-2"));
                Files.delete(m.resolve("replaced"));
                Files.createDirectories(m.resolve("replaced/sub"));
                Files.writeString(m.resolve("replaced/sub/a"), "a\n");
                Files.writeString(m.resolve("added.txt"), "run 1\n");
                Files.createDirectories(m.resolve("deep/er"));
            }));
            // Run 2: bring back a deleted name as a directory, delete what run 1 added, turn a dir into a file.
            chain = chain.plus(checkpoint(cache, exporter, chain, "run2", m -> {
                Files.createDirectory(m.resolve("lower-file.txt"));
                Files.writeString(m.resolve("lower-file.txt/inside"), "x\n");
                Files.delete(m.resolve("added.txt"));
                Files.delete(m.resolve("replaced/sub/a"));
                Files.delete(m.resolve("deep/er"));
                Files.delete(m.resolve("deep"));
                Files.writeString(m.resolve("deep"), "now a file\n");
                Files.delete(m.resolve("keep/z"));
            }));
            assertThat(chain.depth()).isEqualTo(3);
            Map<String, String> threeLayers = view(cache, chain, "view3");

            LayerChain two = chain.squash(2, new LayerSquasher(cache, exporter));
            assertThat(two.depth()).isEqualTo(2);
            assertThat(two.layers().getFirst()).isEqualTo(chain.layers().getFirst());
            assertThat(view(cache, two, "view2")).isEqualTo(threeLayers);

            LayerChain one = chain.squash(1, new LayerSquasher(cache, exporter));
            assertThat(one.depth()).isEqualTo(1);
            assertThat(view(cache, one, "view1")).isEqualTo(threeLayers);
            assertThat(threeLayers).containsKey("lower-file.txt/inside").doesNotContainKey("added.txt")
                    .doesNotContainKey("replaced/old-1").containsKey("replaced/sub").doesNotContainKey("keep/z");
            assertThat(threeLayers.get("deep")).startsWith("FILE");
        }
    }

    interface Changes {
        void apply(Path merged) throws Exception;
    }

    private LayerDescriptor checkpoint(LayerCache cache, LayerExporter exporter, LayerChain chain, String name,
            Changes changes) throws Exception {
        try (var lease = cache.acquire(chain); var run = Overlay.mount(lease, dir.resolve(name))) {
            changes.apply(run.merged);
            run.unmount();
            return exporter.export(run.upper);
        }
    }

    private Map<String, String> view(LayerCache cache, LayerChain chain, String name) throws Exception {
        try (var lease = cache.acquire(chain); var run = Overlay.mount(lease, dir.resolve(name))) {
            return TreeView.of(run.merged);
        }
    }

    /** A small root filesystem, written as a plain directory (a layer with no whiteouts). */
    static Path baseTree(Path root) throws IOException {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/motd"), "welcome\n");
        Files.writeString(root.resolve("lower-file.txt"), "from the image\n");
        Files.writeString(root.resolve("tool.sh"), "#!/bin/sh\necho tool\n");
        Posix.chmod(root.resolve("tool.sh"), 0644);
        Files.createDirectories(root.resolve("replaced"));
        Files.writeString(root.resolve("replaced/old-1"), "1\n");
        Files.writeString(root.resolve("replaced/old-2"), "2\n");
        Files.createDirectories(root.resolve("keep"));
        Files.writeString(root.resolve("keep/z"), "z\n");
        Posix.chmod(root.resolve("keep"), 01777);
        return root;
    }

    /** security.capability v2 granting cap_net_raw (bit 13) permitted and effective. */
    static byte[] netRawCapability() {
        return ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0x02000001).putInt(1 << 13).putInt(0).putInt(0).putInt(0).array();
    }
}
