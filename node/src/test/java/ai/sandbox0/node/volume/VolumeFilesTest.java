package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.VolumeDirs.GID;
import static ai.sandbox0.node.volume.VolumeDirs.UID;
import static ai.sandbox0.node.volume.VolumeDirs.body;
import static ai.sandbox0.node.volume.VolumeDirs.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.layer.Posix;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user of the volume file API sees: each operation's result and its errors. */
class VolumeFilesTest {

    @TempDir
    Path tmp;

    VolumeDirs dirs;
    VolumeFiles files;

    @BeforeEach
    void volume() throws IOException {
        dirs = new VolumeDirs(tmp);
        files = dirs.files();
    }

    @Test
    void writeMakesParentsAndTheFileOwnedByTheVolumesIdentity() throws IOException {
        long written = files.write("/docs/deep/readme.txt", body("hello"), 100);

        assertThat(written).isEqualTo(5);
        assertThat(read(files, "/docs/deep/readme.txt")).isEqualTo("hello");
        Path file = dirs.root.resolve("docs/deep/readme.txt");
        for (Path made : List.of(dirs.root.resolve("docs"), dirs.root.resolve("docs/deep"))) {
            assertThat(VolumeDirs.uid(made)).as("owner of %s", made).isEqualTo(UID);
            assertThat(VolumeDirs.gid(made)).isEqualTo(GID);
            assertThat(VolumeDirs.mode(made)).isEqualTo(0755);
        }
        assertThat(VolumeDirs.uid(file)).isEqualTo(UID);
        assertThat(VolumeDirs.gid(file)).isEqualTo(GID);
        assertThat(VolumeDirs.mode(file)).isEqualTo(0644);
    }

    @Test
    void writeReplacesContentAndKeepsTheExistingOwnerAndMode() throws IOException {
        Path file = Files.writeString(dirs.root.resolve("config"), "a much longer old content");
        Files.setAttribute(file, "unix:uid", 42);
        Files.setAttribute(file, "unix:gid", 43);
        Posix.chmod(file, 04600);

        files.write("/config", body("new"), 100);

        assertThat(Files.readString(file)).isEqualTo("new");
        assertThat(VolumeDirs.uid(file)).isEqualTo(42);
        assertThat(VolumeDirs.gid(file)).isEqualTo(43);
        assertThat(VolumeDirs.mode(file)).as("setuid dropped, as a write by the kernel does").isEqualTo(0600);
    }

    @Test
    void aBodyOverTheLimitLeavesNoFileAndTheOldContent() throws IOException {
        assertThatThrownBy(() -> files.write("/new.bin", new ByteArrayInputStream(new byte[101]), 100))
                .isInstanceOf(FileTooLargeException.class);
        assertThat(dirs.root.resolve("new.bin")).doesNotExist();

        files.write("/kept.txt", body("old"), 100);
        assertThatThrownBy(() -> files.write("/kept.txt", new ByteArrayInputStream(new byte[200_000]), 100_000))
                .isInstanceOf(FileTooLargeException.class);
        assertThat(read(files, "/kept.txt")).isEqualTo("old");
        try (var left = Files.list(dirs.root)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("kept.txt");
        }
        assertThat(files.write("/exact", new ByteArrayInputStream(new byte[100]), 100)).isEqualTo(100);
    }

    @Test
    void aBodyThatBreaksLeavesNoPartialFile() {
        InputStream broken = new InputStream() {
            int sent;

            @Override
            public int read() throws IOException {
                if (sent++ > 10) {
                    throw new IOException("client went away");
                }
                return 'x';
            }
        };
        assertThatThrownBy(() -> files.write("/upload", broken, 1000)).hasMessage("client went away");
        assertThat(dirs.root.toFile().list()).isEmpty();
    }

    @Test
    void writeAndReadRefuseDirectories() throws IOException {
        files.mkdir("/dir", false);
        assertThatThrownBy(() -> files.write("/dir", body("x"), 10)).isInstanceOf(NotRegularFileException.class)
                .hasMessageContaining("is a directory");
        assertThatThrownBy(() -> files.read("/dir")).isInstanceOf(NotRegularFileException.class)
                .hasMessageContaining("/dir: is a directory");
        assertThatThrownBy(() -> files.read("/")).isInstanceOf(NotRegularFileException.class);
        assertThatThrownBy(() -> files.read("/missing")).isInstanceOf(NoSuchFileException.class)
                .hasMessage("/missing");
    }

    @Test
    void aFifoOrDeviceIsNeverOpened() throws Exception {
        VolumeDirs.mkfifo(dirs.root.resolve("fifo"));
        Posix.mknodChar(dirs.root.resolve("null"), 0666, 1, 3);
        // A reader opening a FIFO without a writer would block forever: the guard turns that into a failure.
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            assertThatThrownBy(() -> files.read("/fifo")).isInstanceOf(NotRegularFileException.class)
                    .hasMessageContaining("not a regular file");
            assertThatThrownBy(() -> files.read("/null")).isInstanceOf(NotRegularFileException.class);
            assertThatThrownBy(() -> files.write("/fifo", body("x"), 10)).isInstanceOf(NotRegularFileException.class);
            assertThatThrownBy(() -> files.write("/null", body("x"), 10)).isInstanceOf(NotRegularFileException.class);
        });
        assertThat(dirs.root.resolve("fifo")).exists();
        assertThat(files.stat("/fifo").kind()).isEqualTo(VolumeEntry.Kind.OTHER);
    }

    @Test
    void mkdirSemantics() throws IOException {
        files.mkdir("/a", false);
        assertThat(files.stat("/a").kind()).isEqualTo(VolumeEntry.Kind.DIRECTORY);
        assertThat(VolumeDirs.uid(dirs.root.resolve("a"))).isEqualTo(UID);
        assertThat(VolumeDirs.mode(dirs.root.resolve("a"))).isEqualTo(0755);

        assertThatThrownBy(() -> files.mkdir("/a", false)).isInstanceOf(FileAlreadyExistsException.class);
        files.mkdir("/a", true); // recursive on an existing directory succeeds
        assertThatThrownBy(() -> files.mkdir("/x/y", false)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("/x/y");
        files.mkdir("/x/y/z", true);
        assertThat(dirs.root.resolve("x/y/z")).isDirectory();
        assertThat(VolumeDirs.gid(dirs.root.resolve("x/y"))).isEqualTo(GID);

        files.write("/file", body("f"), 10);
        assertThatThrownBy(() -> files.mkdir("/file", true)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> files.mkdir("/file", false)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> files.mkdir("/file/sub", true)).isInstanceOf(NotDirectoryException.class);
        assertThatThrownBy(() -> files.mkdir("/", false)).isInstanceOf(FileAlreadyExistsException.class);
        files.mkdir("/", true);
    }

    @Test
    void deleteRemovesFilesAndWholeTrees() throws IOException {
        files.write("/t/a/b/c.txt", body("c"), 10);
        files.write("/t/top.txt", body("t"), 10);
        files.write("/single", body("s"), 10);

        files.delete("/single");
        files.delete("/t");

        assertThat(dirs.root.toFile().list()).isEmpty();
        assertThatThrownBy(() -> files.delete("/t")).isInstanceOf(NoSuchFileException.class).hasMessage("/t");
        assertThatThrownBy(() -> files.delete("/no/such/parent")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.delete("/")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deepTreesAreRemovedUpToTheDepthTheWalkAllows() throws Exception {
        Path deep = dirs.root.resolve("deep");
        Files.createDirectories(deep.resolve("d/".repeat(500)));
        files.delete("/deep");
        assertThat(deep).doesNotExist();

        Path deeper = Files.createDirectories(dirs.root.resolve("deeper").resolve("d/".repeat(Subtree.MAX_DEPTH + 5)));
        try {
            Files.writeString(deeper.resolve("f"), "x");
            assertThatThrownBy(() -> files.delete("/deeper")).hasMessageContaining("deeper than " + Subtree.MAX_DEPTH);
            assertThatThrownBy(() -> files.logicalBytes()).hasMessageContaining("deeper than " + Subtree.MAX_DEPTH);
        } finally {
            // rm unlinks by descriptors too; the JDK's walk would resolve a path per level, each longer.
            new ProcessBuilder("rm", "-rf", dirs.root.resolve("deeper").toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void statAndListDescribeEntriesWithoutFollowingLinks() throws IOException {
        files.write("/docs/readme.txt", body("hello"), 100);
        files.mkdir("/docs/sub", false);
        dirs.link("docs/link", "readme.txt");

        VolumeEntry file = files.stat("/docs/readme.txt");
        assertThat(file.name()).isEqualTo("readme.txt");
        assertThat(file.path()).isEqualTo("/docs/readme.txt");
        assertThat(file.kind()).isEqualTo(VolumeEntry.Kind.FILE);
        assertThat(file.size()).isEqualTo(5);
        assertThat(file.mode()).isEqualTo(0644);
        assertThat(file.uid()).isEqualTo(UID);
        assertThat(file.gid()).isEqualTo(GID);
        assertThat(file.linkTarget()).isNull();
        assertThat(file.modified()).isEqualTo(Files.getLastModifiedTime(dirs.root.resolve("docs/readme.txt")).toInstant());

        VolumeEntry link = files.stat("/docs/link");
        assertThat(link.kind()).isEqualTo(VolumeEntry.Kind.SYMLINK);
        assertThat(link.linkTarget()).isEqualTo("readme.txt");

        VolumeEntry root = files.stat("/");
        assertThat(root.name()).isEqualTo("/");
        assertThat(root.kind()).isEqualTo(VolumeEntry.Kind.DIRECTORY);

        assertThat(files.list("/docs")).extracting(VolumeEntry::name, VolumeEntry::path, VolumeEntry::kind)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("link", "/docs/link", VolumeEntry.Kind.SYMLINK),
                        org.assertj.core.groups.Tuple.tuple("readme.txt", "/docs/readme.txt", VolumeEntry.Kind.FILE),
                        org.assertj.core.groups.Tuple.tuple("sub", "/docs/sub", VolumeEntry.Kind.DIRECTORY));
        assertThat(files.list("/docs/sub")).isEmpty();

        assertThatThrownBy(() -> files.stat("/nope")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.list("/nope")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> files.list("/docs/readme.txt")).isInstanceOf(NotDirectoryException.class);
        assertThatThrownBy(() -> files.stat("relative")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> files.stat("/a\0b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void moveRenamesMakesParentsAndRefusesMovingIntoItself() throws IOException {
        files.write("/docs/readme.txt", body("r"), 10);
        files.mkdir("/a/b", true);

        files.move("/docs/readme.txt", "/a/b/r.txt");
        assertThat(read(files, "/a/b/r.txt")).isEqualTo("r");
        assertThatThrownBy(() -> files.stat("/docs/readme.txt")).isInstanceOf(NoSuchFileException.class);

        files.move("/a/b/r.txt", "/new/parents/r.txt");
        assertThat(read(files, "/new/parents/r.txt")).isEqualTo("r");
        assertThat(VolumeDirs.uid(dirs.root.resolve("new/parents"))).isEqualTo(UID);

        files.write("/other.txt", body("o"), 10);
        files.move("/other.txt", "/new/parents/r.txt"); // replaces a file
        assertThat(read(files, "/new/parents/r.txt")).isEqualTo("o");

        assertThatThrownBy(() -> files.move("/a", "/a/b/inside")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("into itself");
        assertThatThrownBy(() -> files.move("/missing", "/made/by/nobody")).isInstanceOf(NoSuchFileException.class)
                .hasMessage("/missing");
        assertThat(dirs.root.resolve("made")).doesNotExist();
        files.write("/new/x", body("x"), 10);
        assertThatThrownBy(() -> files.move("/a", "/new")).isInstanceOf(DirectoryNotEmptyException.class);
        assertThatThrownBy(() -> files.move("/", "/x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void moveIntoItselfThroughALinkIsRefusedByTheKernel() throws IOException {
        files.mkdir("/a/b", true);
        dirs.link("alias", "/a");
        assertThatThrownBy(() -> files.move("/a", "/alias/b/inside")).isInstanceOf(IllegalArgumentException.class);
        assertThat(dirs.root.resolve("a/b")).isDirectory();
    }

    @Test
    void aReadOnlyVolumeReadsButRefusesEveryChange() throws IOException {
        files.write("/f", body("f"), 10);
        VolumeFiles snapshot = dirs.readOnly();

        assertThat(read(snapshot, "/f")).isEqualTo("f");
        assertThat(snapshot.list("/")).hasSize(1);
        assertThatThrownBy(() -> snapshot.write("/f", body("g"), 10)).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> snapshot.write("/g", body("g"), 10)).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> snapshot.mkdir("/d", true)).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> snapshot.delete("/f")).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> snapshot.move("/f", "/g")).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> snapshot.importTar("/", InputStream.nullInputStream(), ArchiveLimits.DEFAULT))
                .isInstanceOf(AccessDeniedException.class);
        assertThat(read(files, "/f")).isEqualTo("f");
        assertThat(dirs.root.toFile().list()).containsExactly("f");
    }

    @Test
    void logicalBytesSumsRegularFilesOnceWithoutFollowingLinks() throws IOException {
        files.write("/a", new ByteArrayInputStream(new byte[1000]), 10_000);
        files.write("/d/b", new ByteArrayInputStream(new byte[234]), 10_000);
        Files.createLink(dirs.root.resolve("d/hard"), dirs.root.resolve("a"));
        Files.write(dirs.outside.resolve("big"), new byte[50_000]);
        dirs.link("to-outside", dirs.outside.toString());
        dirs.link("to-big", dirs.outside.resolve("big").toString());
        dirs.link("host-etc", "/etc");

        assertThat(files.logicalBytes()).isEqualTo(1234);
    }

    @Test
    void aFullVolumeIsVolumeFullAndKeepsNoPartialFile() throws Exception {
        Path small = Files.createDirectory(tmp.resolve("small"));
        mount("tmpfs", small, "size=256k");
        try {
            VolumeFiles full = VolumeFiles.at(small, UID, GID, false);
            full.write("/kept", body("old"), 10);
            assertThatThrownBy(() -> full.write("/kept", new ByteArrayInputStream(new byte[1 << 20]), 1 << 21))
                    .isInstanceOf(VolumeFullException.class).hasMessageContaining("/kept");
            assertThat(read(full, "/kept")).isEqualTo("old");
            assertThat(small.toFile().list()).containsExactly("kept");
        } finally {
            unmount(small);
        }
    }

    @Test
    void aMountInsideTheVolumeIsNotCrossed() throws Exception {
        Path inner = Files.createDirectory(dirs.root.resolve("mnt"));
        mount("tmpfs", inner, "size=64k");
        try {
            assertThatThrownBy(() -> files.write("/mnt/x", body("x"), 10)).hasMessageContaining("crosses a mount");
            assertThat(inner.resolve("x")).doesNotExist();
        } finally {
            unmount(inner);
        }
    }

    private static void mount(String type, Path at, String options) throws Exception {
        Process p = new ProcessBuilder("mount", "-t", type, "-o", options, type, at.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new AssertionError("mount " + type + " on " + at + " failed");
        }
    }

    private static void unmount(Path at) throws Exception {
        Process p = new ProcessBuilder("umount", at.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new AssertionError("umount " + at + " failed");
        }
    }
}
