package ai.sandbox0.node.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.LocalBlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerExporterTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRoot() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
    }

    @Test
    void theSameTreeGivesTheSameDigest() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        Path tree = upperDir(dir.resolve("upper"));
        LayerDescriptor first = new LayerExporter(blobs).export(tree);
        LayerDescriptor second = new LayerExporter(blobs, 3, 1).export(tree);
        Overlay.run("cp", "-a", tree.toString(), dir.resolve("copy").toString());
        LayerDescriptor copy = new LayerExporter(blobs).export(dir.resolve("copy"));
        assertThat(second).isEqualTo(first);
        assertThat(copy).as("a copy with other inode numbers").isEqualTo(first);
        assertThat(first.mediaType()).isEqualTo(LayerDescriptor.TAR_ZSTD);
        assertThat(first.size()).isEqualTo(blobs.size(first.digest()));
    }

    @Test
    void gnuTarReadsTheLayerWithOciWhiteouts() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        LayerDescriptor layer = new LayerExporter(blobs).export(upperDir(dir.resolve("upper")));
        String listing = Overlay.run("tar", "-tvf", plainTar(blobs, layer).toString());
        assertThat(listing).contains("etc/.wh.shadow", "opt/.wh..wh..opq", "opt/inside", "bin/link -> ../usr/bin/x",
                "long/" + "n".repeat(150));
        assertThat(listing).doesNotContain("procd");
    }

    @Test
    void excludedPathsStayOut() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        Path upper = upperDir(dir.resolve("upper"));
        Files.createDirectories(upper.resolve("procd/bin"));
        LayerDescriptor layer = new LayerExporter(blobs).export(upper, Set.of("/procd"));
        assertThat(Overlay.run("tar", "-tf", plainTar(blobs, layer).toString())).doesNotContain("procd");
    }

    @Test
    void anUpperDirThatPointsIntoItsLowersIsRefused() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        Path upper = upperDir(dir.resolve("upper"));
        Posix.lsetxattr(upper.resolve("opt"), "trusted.overlay.redirect", "/elsewhere".getBytes());
        assertThatThrownBy(() -> new LayerExporter(blobs).export(upper)).hasMessageContaining("redirect_dir=off")
                .hasMessageContaining(upper.resolve("opt").toString());
        assertThat(blobs.list()).isEmpty();
    }

    @Test
    void nothingChangedIsAnEmptyLayerAChainSkips() throws Exception {
        var blobs = new LocalBlobStore(dir.resolve("blobs"));
        LayerDescriptor empty = new LayerExporter(blobs).export(Files.createDirectories(dir.resolve("empty")));
        assertThat(empty.isEmpty()).isTrue();
        var chain = LayerChain.of(new LayerExporter(blobs).export(upperDir(dir.resolve("upper"))));
        assertThat(chain.plus(empty)).isEqualTo(chain);
    }

    /** The layer decompressed to a file, for GNU tar to read (without needing the zstd program). */
    private Path plainTar(LocalBlobStore blobs, LayerDescriptor layer) throws IOException {
        Path tar = dir.resolve(layer.digest().shortHex() + ".tar");
        try (var in = LayerCompression.decompress(blobs.open(layer.digest()))) {
            Files.copy(in, tar);
        }
        return tar;
    }

    /** An overlay upper dir as a stopped container leaves it. */
    static Path upperDir(Path upper) throws IOException {
        Files.createDirectories(upper.resolve("etc"));
        Posix.mknodChar(upper.resolve("etc/shadow"), 0, 0, 0);
        Files.writeString(upper.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        Files.createDirectories(upper.resolve("opt"));
        Posix.lsetxattr(upper.resolve("opt"), "trusted.overlay.opaque", new byte[] {'y'});
        Files.writeString(upper.resolve("opt/inside"), "inside\n");
        Files.createDirectories(upper.resolve("bin"));
        Files.createSymbolicLink(upper.resolve("bin/link"), Path.of("../usr/bin/x"));
        Files.createDirectories(upper.resolve("long"));
        Files.writeString(upper.resolve("long/" + "n".repeat(150)), "long name\n");
        Files.createDirectories(upper.resolve("empty"));
        return upper;
    }
}
