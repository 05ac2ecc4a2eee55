package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.VolumeDirs.SECRET;
import static ai.sandbox0.node.volume.VolumeDirs.body;
import static ai.sandbox0.node.volume.VolumeDirs.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sandbox writes into its volume too, and plants links to the host ({@code /etc}, {@code /}, a directory
 * outside the volume), {@code ..} chains and hard links, or swaps a directory for a link while the host works
 * in it. Whatever it plants, every operation stays inside the volume: the outside directory keeps its one
 * file with its content, nothing appears in the host's /tmp, and no secret comes back.
 */
class VolumeConfinementTest {

    @TempDir
    Path tmp;

    VolumeDirs dirs;
    VolumeFiles files;
    String hostTmp;

    @BeforeEach
    void volume() throws IOException {
        dirs = new VolumeDirs(tmp);
        files = dirs.files();
        hostTmp = VolumeDirs.hostTmpName();
    }

    @AfterEach
    void nothingEscaped() throws IOException {
        assertThat(dirs.outsideUntouched()).as("the directory outside the volume is untouched").isTrue();
        assertThat(Path.of(hostTmp)).as("nothing appeared in the host's /tmp").doesNotExist();
    }

    @Test
    void readFollowsLinksOnlyInsideTheVolume() throws IOException {
        dirs.link("to-secret", dirs.secret.toString());
        dirs.link("to-passwd", "/etc/passwd");
        dirs.link("up", "../../../../../../../../" + dirs.secret);
        dirs.link("d", "/");

        assertThatThrownBy(() -> read(files, "/to-secret")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> read(files, "/to-passwd")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> read(files, "/up")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> read(files, "/d/etc/passwd")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> read(files, "/../../../../etc/passwd")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> read(files, "/d" + dirs.secret)).isInstanceOf(NoSuchFileException.class);

        // The same links, given what they name inside the volume, lead there.
        files.write("/etc/passwd", body("the volume's own passwd"), 100);
        files.write(dirs.secret.toString(), body("the volume's own file"), 100);
        assertThat(read(files, "/to-passwd")).isEqualTo("the volume's own passwd");
        assertThat(read(files, "/d/etc/passwd")).isEqualTo("the volume's own passwd");
        assertThat(read(files, "/to-secret")).isEqualTo("the volume's own file");
        assertThat(read(files, "/up")).isEqualTo("the volume's own file");
    }

    @Test
    void writeThroughALinkedParentLandsInsideTheVolume() throws IOException {
        dirs.link("p", dirs.outside.toString());
        dirs.link("d", "/");

        // p names a directory the volume does not have: a link to nothing, in the way as with mkdir -p
        assertThatThrownBy(() -> files.write("/p/new", body("mine"), 100)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("/p");
        files.write("/d" + hostTmp, body("mine"), 100);
        files.write("/../../.." + hostTmp + "-dots", body("mine"), 100);
        Path inside = dirs.root.resolve(dirs.outside.toString().substring(1));
        Files.createDirectories(inside);
        files.write("/p/new", body("mine"), 100);

        assertThat(inside.resolve("new")).hasContent("mine");
        assertThat(dirs.root.resolve(hostTmp.substring(1))).hasContent("mine");
        assertThat(dirs.root.resolve(hostTmp.substring(1) + "-dots")).hasContent("mine");
        assertThat(Path.of(hostTmp + "-dots")).doesNotExist();
    }

    @Test
    void writeReplacesALinkInsteadOfWritingThroughIt() throws IOException {
        Path link = dirs.link("x", dirs.secret.toString());

        files.write("/x", body("replaced"), 100);

        assertThat(link).isRegularFile().hasContent("replaced");
    }

    @Test
    void writeAndMkdirUnderALinkToEtcStayInside() throws IOException {
        dirs.link("host-etc", "/etc");
        String name = Path.of(VolumeDirs.hostTmpName()).getFileName().toString();
        Path hostEtc = Path.of("/etc", name);
        try {
            assertThatThrownBy(() -> files.write("/host-etc/" + name, body("mine"), 100))
                    .isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> files.mkdir("/host-etc/" + name + "-dir", false))
                    .isInstanceOf(NoSuchFileException.class);
            files.mkdir("/etc", false); // the volume's own /etc, where the link leads
            files.write("/host-etc/" + name, body("mine"), 100);
            files.mkdir("/host-etc/" + name + "-dir", false);

            assertThat(dirs.root.resolve("etc").resolve(name)).hasContent("mine");
            assertThat(dirs.root.resolve("etc").resolve(name + "-dir")).isDirectory();
            assertThat(hostEtc).doesNotExist();
            assertThat(Path.of(hostEtc + "-dir")).doesNotExist();
        } finally {
            Files.deleteIfExists(hostEtc);
            Files.deleteIfExists(Path.of(hostEtc + "-dir"));
        }
    }

    @Test
    void writeToAHardLinkReplacesTheNameNotTheSharedInode() throws IOException {
        // A sandbox cannot link across filesystems; the test can, to show the shared inode is never written.
        Path hard = Files.createLink(dirs.root.resolve("hard"), dirs.secret);

        files.write("/hard", body("new content"), 100);

        assertThat(hard).hasContent("new content");
        assertThat(Files.readString(dirs.secret)).isEqualTo(SECRET);
        files.delete("/hard");
        assertThat(dirs.secret).exists();
    }

    @Test
    void mkdirThroughLinksStaysInside() throws IOException {
        dirs.link("p", dirs.outside.toString());
        dirs.link("d", "/");

        assertThatThrownBy(() -> files.mkdir("/p/made", true)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.mkdir("/p", true)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThatThrownBy(() -> files.mkdir("/p", false)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        files.mkdir("/d" + hostTmp + "/deep", true);
        files.mkdir("/d" + dirs.outside, true);
        files.mkdir("/p/made", true);

        assertThat(dirs.root.resolve(dirs.outside.toString().substring(1)).resolve("made")).isDirectory();
        assertThat(dirs.root.resolve(hostTmp.substring(1) + "/deep")).isDirectory();
    }

    @Test
    void deleteRemovesLinksNotWhatTheyPointTo() throws IOException {
        Path toFile = dirs.link("to-secret", dirs.secret.toString());
        Path toDir = dirs.link("to-outside", dirs.outside.toString());
        dirs.link("p", dirs.outside.toString());

        files.delete("/to-secret");
        files.delete("/to-outside");
        assertThatThrownBy(() -> files.delete("/p/secret")).isInstanceOf(NoSuchFileException.class);

        assertThat(toFile).doesNotExist();
        assertThat(toDir).doesNotExist();
    }

    @Test
    void recursiveDeleteOfATreeWithLinksOutLeavesTheOutsideIntact() throws IOException {
        files.write("/tree/a/b/file", body("x"), 10);
        dirs.link("tree/a/to-outside", dirs.outside.toString());
        dirs.link("tree/a/b/relative-out", "../../../../outside");
        dirs.link("tree/to-secret", dirs.secret.toString());

        files.delete("/tree");

        assertThat(dirs.root.resolve("tree")).doesNotExist();
    }

    @Test
    void recursiveDeleteWhileASandboxSwapsDirectoriesForLinks() throws Exception {
        for (int round = 0; round < 20; round++) {
            Path tree = dirs.root.resolve("tree");
            for (int i = 0; i < 30; i++) {
                Files.createDirectories(tree.resolve("d" + i + "/sub"));
                Files.writeString(tree.resolve("d" + i + "/sub/f"), "x");
            }
            var stop = new AtomicBoolean();
            Thread sandbox = Thread.ofPlatform().start(() -> swapForLinks(tree, stop));
            try {
                files.delete("/tree");
            } catch (IOException raced) {
                // best effort under a concurrent writer; what matters is below
            } finally {
                stop.set(true);
                sandbox.join();
            }
            assertThat(dirs.outsideUntouched()).as("round %d", round).isTrue();
            deleteHostSide(tree);
        }
    }

    @Test
    void writeWhileASandboxSwapsTheParentForALink() throws Exception {
        Path parent = dirs.root.resolve("p");
        Files.createDirectory(parent);
        var stop = new AtomicBoolean();
        Thread sandbox = Thread.ofPlatform().start(() -> {
            Path aside = dirs.root.resolve("aside");
            Path link = dirs.root.resolve("link");
            while (!stop.get()) {
                try {
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, dirs.outside);
                    Files.move(parent, aside, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(link, parent, StandardCopyOption.ATOMIC_MOVE);
                    Files.delete(parent);
                    Files.move(aside, parent, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException ignored) {
                    // racing the writer; try again
                }
            }
        });
        try {
            for (int i = 0; i < 300; i++) {
                try {
                    files.write("/p/f" + i, body("x"), 10);
                } catch (IOException raced) {
                    // a missing parent mid-swap is fine
                }
            }
        } finally {
            stop.set(true);
            sandbox.join();
        }
    }

    @Test
    void moveCannotTakeFilesInOrOut() throws IOException {
        dirs.link("p", dirs.outside.toString());
        dirs.link("d", "/");
        files.write("/mine", body("mine"), 100);

        assertThatThrownBy(() -> files.move("/p/secret", "/stolen")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.move("/mine", "/p/planted")).isInstanceOf(NoSuchFileException.class);
        files.mkdir("/d" + dirs.outside, true);
        files.move("/mine", "/p/planted");
        files.write("/mine2", body("mine"), 100);
        files.move("/mine2", "/d" + hostTmp);

        assertThat(dirs.root.resolve(dirs.outside.toString().substring(1)).resolve("planted")).hasContent("mine");
        assertThat(dirs.root.resolve(hostTmp.substring(1))).hasContent("mine");
        assertThat(dirs.root.resolve("stolen")).doesNotExist();
    }

    @Test
    void listAndStatSeeOnlyTheVolume() throws IOException {
        dirs.link("d", "/");
        dirs.link("to-outside", dirs.outside.toString());
        dirs.link("host-etc", "/etc");
        files.write("/mine", body("m"), 10);

        assertThat(files.list("/d")).extracting(VolumeEntry::name)
                .containsExactly("d", "host-etc", "mine", "to-outside");
        assertThatThrownBy(() -> files.list("/to-outside")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.list("/host-etc")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.list("/../../etc")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.stat("/to-outside/secret")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.stat("/host-etc/passwd")).isInstanceOf(NoSuchFileException.class);
        assertThat(files.stat("/host-etc").linkTarget()).isEqualTo("/etc");
    }

    @Test
    void logicalBytesIgnoresWhatLinksPointTo() throws IOException {
        dirs.link("host-etc", "/etc");
        dirs.link("out", dirs.outside.toString());
        assertThat(files.logicalBytes()).isZero();
    }

    /**
     * Replaces directories of the tree by links to the outside directory, absolute and relative, as fast as
     * it can. (Never links to / or /etc: a broken deleter would then take the host with it.)
     */
    private void swapForLinks(Path tree, AtomicBoolean stop) {
        int i = 0;
        while (!stop.get()) {
            Path dir = tree.resolve("d" + (i++ % 30));
            try {
                Path aside = tree.resolve("aside" + i);
                Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
                Files.createSymbolicLink(dir, i % 2 == 0 ? dirs.outside : Path.of("../../outside"));
            } catch (IOException ignored) {
                // the deleter got there first
            }
        }
    }

    private static void deleteHostSide(Path tree) throws IOException {
        if (!Files.exists(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(tree)) { // walk does not follow links
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
    }
}
