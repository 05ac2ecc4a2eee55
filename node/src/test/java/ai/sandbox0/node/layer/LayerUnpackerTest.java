package ai.sandbox0.node.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers are untrusted: whatever a tar says, nothing lands outside the layer root. */
class LayerUnpackerTest {

    private static final Instant T = Instant.parse("2020-01-01T00:00:00Z");

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRoot() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
    }

    @Test
    void whiteoutsBecomeOverlayMarkers() throws Exception {
        byte[] tar = tar(w -> {
            w.write(TarEntry.directory("etc", 0755, T), null);
            w.write(TarEntry.file("etc/.wh.passwd", 0, 0, T), null);
            w.write(TarEntry.directory("opt", 0755, T), null);
            w.write(TarEntry.file("opt/.wh..wh..opq", 0, 0, T), null);
            file(w, "opt/new", "n");
        });
        Path root = dir.resolve("layer");
        var result = new LayerUnpacker().unpack(new ByteArrayInputStream(gzip(tar)), root);
        assertThat(Inode.require(root.resolve("etc/passwd")).isWhiteout()).isTrue();
        assertThat(root.resolve("etc/.wh.passwd")).doesNotExist();
        assertThat(Posix.lgetxattr(root.resolve("opt"), "trusted.overlay.opaque")).hasValueSatisfying(
                v -> assertThat(v).containsExactly('y'));
        assertThat(root.resolve("opt/new")).hasContent("n");
        assertThat(result.diffId()).isEqualTo(ai.sandbox0.node.Digest.of(tar));
    }

    @Test
    void absolutePathsAreRefused() {
        assertRefused(w -> file(w, "/etc/evil", "x"), "absolute path");
    }

    @Test
    void dotDotIsRefused() {
        assertRefused(w -> file(w, "a/../../evil", "x"), "path traversal");
    }

    @Test
    void writingThroughASymlinkPlacedByTheLayerIsRefused() {
        assertRefused(w -> {
            w.write(TarEntry.symlink("escape", dir.resolve("outside").toString(), T), null);
            file(w, "escape/evil", "x");
        }, "parent 'escape' is a symlink");
        assertThat(dir.resolve("outside/evil")).doesNotExist();
    }

    @Test
    void hardlinksOutOfTheLayerAreRefused() {
        assertRefused(w -> w.write(TarEntry.hardlink("h", "../../etc/passwd"), null), "path traversal");
        assertRefused(w -> w.write(TarEntry.hardlink("h", "/etc/passwd"), null), "absolute path");
        assertRefused(w -> {
            w.write(TarEntry.symlink("etc", "/etc", T), null);
            w.write(TarEntry.hardlink("h", "etc/passwd"), null);
        }, "parent 'etc' is a symlink");
    }

    @Test
    void deviceNodesAreRefusedUnlessAllowed() throws Exception {
        TarWrites disk = w -> w.write(new TarEntry("dev/sda", TarEntry.Type.BLOCK_DEVICE, 0660, 0, 0, 0, T, "", 8, 0, null), null);
        assertRefused(disk, "device nodes are not allowed");
        Path root = dir.resolve("allowed");
        new LayerUnpacker(UnpackOptions.DEFAULT.withDevices(true)).unpack(new ByteArrayInputStream(tar(disk)), root);
        Inode node = Inode.require(root.resolve("dev/sda"));
        assertThat(node.kind()).isEqualTo(Inode.Kind.BLOCK_DEVICE);
        assertThat(node.major()).isEqualTo(8);
    }

    @Test
    void sizeAndEntryCapsHold() {
        var small = new UnpackOptions(false, 10, 1000);
        assertThatThrownBy(() -> new LayerUnpacker(small).unpack(new ByteArrayInputStream(tar(w -> file(w, "big", "x".repeat(100)))),
                dir.resolve("big"))).isInstanceOf(UnsafeLayerException.class).hasMessageContaining("more than 10 bytes");
        var few = new UnpackOptions(false, 1000, 2);
        assertThatThrownBy(() -> new LayerUnpacker(few).unpack(new ByteArrayInputStream(tar(w -> {
            for (int i = 0; i < 3; i++) {
                file(w, "f" + i, "x");
            }
        })), dir.resolve("many"))).isInstanceOf(UnsafeLayerException.class).hasMessageContaining("more than 2 entries");
    }

    @Test
    void garbageIsNotATar() {
        assertThatThrownBy(() -> new LayerUnpacker().unpack(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
                dir.resolve("garbage"))).hasMessageContaining("tar");
    }

    @Test
    void keepsModesOwnersTimesAndLinks() throws Exception {
        Path root = dir.resolve("meta");
        new LayerUnpacker().unpack(new ByteArrayInputStream(tar(w -> {
            w.write(new TarEntry("bin/su", TarEntry.Type.FILE, 04755, 0, 0, 2, T, "", 0, 0, null),
                    new ByteArrayInputStream("su".getBytes(StandardCharsets.UTF_8)));
            w.write(TarEntry.hardlink("bin/su2", "bin/su"), null);
            w.write(TarEntry.symlink("bin/sh", "dash", T).withOwner(5, 6), null);
            w.write(new TarEntry("tmp", TarEntry.Type.DIRECTORY, 01777, 0, 0, 0, T, "", 0, 0, null), null);
            w.write(new TarEntry("home/u", TarEntry.Type.DIRECTORY, 0700, 1000, 1000, 0, T, "", 0, 0, null), null);
        })), root);
        assertThat(Inode.require(root.resolve("bin/su")).mode()).isEqualTo(04755);
        assertThat(Inode.require(root.resolve("bin/su2")).ino()).isEqualTo(Inode.require(root.resolve("bin/su")).ino());
        assertThat(Files.readSymbolicLink(root.resolve("bin/sh"))).isEqualTo(Path.of("dash"));
        assertThat(Inode.require(root.resolve("bin/sh")).uid()).isEqualTo(5);
        assertThat(Inode.require(root.resolve("tmp")).mode()).isEqualTo(01777);
        assertThat(Inode.require(root.resolve("home/u")).uid()).isEqualTo(1000);
        assertThat(Inode.require(root.resolve("home/u")).mtime()).isEqualTo(T);
        assertThat(Inode.require(root.resolve("bin/sh")).mtime()).isEqualTo(T);
    }

    private void assertRefused(TarWrites writes, String reason) {
        Path root = dir.resolve("refused-" + System.nanoTime());
        assertThatThrownBy(() -> new LayerUnpacker().unpack(new ByteArrayInputStream(tar(writes)), root))
                .isInstanceOf(UnsafeLayerException.class).hasMessageContaining(reason);
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
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        w.write(TarEntry.file(name, 0644, bytes.length, T), new ByteArrayInputStream(bytes));
    }

    static byte[] gzip(byte[] data) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
