package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.VolumeDirs.GID;
import static ai.sandbox0.node.volume.VolumeDirs.UID;
import static ai.sandbox0.node.volume.VolumeDirs.body;
import static ai.sandbox0.node.volume.VolumeDirs.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.layer.TarEntry;
import ai.sandbox0.node.layer.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tar archives come from users: counted, bounded, owned by the volume, and never written outside it. */
class VolumeTarImportTest {

    private static final Instant T = Instant.parse("2021-02-03T04:05:06Z");

    @TempDir
    Path tmp;

    VolumeDirs dirs;
    VolumeFiles files;

    @BeforeEach
    void volume() throws IOException {
        dirs = new VolumeDirs(tmp);
        files = dirs.files();
    }

    @AfterEach
    void nothingEscaped() throws IOException {
        assertThat(dirs.outsideUntouched()).as("the directory outside the volume is untouched").isTrue();
    }

    @Test
    void importsFilesDirectoriesAndLinksAndCountsThem() throws IOException {
        byte[] tar = tar(w -> {
            w.write(TarEntry.directory(".", 0755, T), null);
            w.write(TarEntry.directory("src", 0700, T), null);
            file(w, "src/main.py", "print('hi')\n", 0755);
            file(w, "README.md", "readme", 0644);
            w.write(TarEntry.symlink("latest", "src/main.py", T), null);
            file(w, "implicit/parent/data", "d", 0640);
        });

        ArchiveCounts counts = files.importTar("/app", new ByteArrayInputStream(tar), ArchiveLimits.DEFAULT);

        assertThat(counts).isEqualTo(new ArchiveCounts(3, 1, 1, 12 + 6 + 1));
        assertThat(read(files, "/app/src/main.py")).isEqualTo("print('hi')\n");
        assertThat(read(files, "/app/latest")).isEqualTo("print('hi')\n");
        assertThat(files.stat("/app/latest").linkTarget()).isEqualTo("src/main.py");
        Path app = dirs.root.resolve("app");
        for (Path p : new Path[] {app, app.resolve("src"), app.resolve("src/main.py"), app.resolve("latest"),
                app.resolve("implicit/parent"), app.resolve("implicit/parent/data")}) {
            assertThat(VolumeDirs.uid(p)).as("owner of %s", p).isEqualTo(UID);
            assertThat(VolumeDirs.gid(p)).as("group of %s", p).isEqualTo(GID);
        }
        assertThat(VolumeDirs.mode(app.resolve("src"))).isEqualTo(0700);
        assertThat(VolumeDirs.mode(app.resolve("src/main.py"))).isEqualTo(0755);
        assertThat(VolumeDirs.mode(app.resolve("implicit/parent/data"))).isEqualTo(0640);
        assertThat(Files.getLastModifiedTime(app.resolve("README.md")).toInstant()).isEqualTo(T);
    }

    @Test
    void ownersAndSpecialBitsOfTheArchiveAreNotKept() throws IOException {
        byte[] tar = tar(w -> w.write(new TarEntry("suid", TarEntry.Type.FILE, 04755, 0, 0, 1, T, "", 0, 0, null),
                new ByteArrayInputStream(new byte[] {'x'})));
        files.importTar("/", new ByteArrayInputStream(tar), ArchiveLimits.DEFAULT);
        Path suid = dirs.root.resolve("suid");
        assertThat(VolumeDirs.uid(suid)).isEqualTo(UID);
        assertThat(VolumeDirs.mode(suid)).isEqualTo(0755);
    }

    @Test
    void regularFilesAndLinksOverwriteExistingEntries() throws IOException {
        files.write("/app/a.txt", body("old"), 100);
        files.write("/app/l", body("a file where the archive has a link"), 100);
        byte[] tar = tar(w -> {
            file(w, "a.txt", "new", 0644);
            w.write(TarEntry.symlink("l", "a.txt", T), null);
            w.write(TarEntry.directory("app-dir", 0755, T), null);
        });
        files.mkdir("/app/app-dir", false);

        ArchiveCounts counts = files.importTar("/app", new ByteArrayInputStream(tar), ArchiveLimits.DEFAULT);

        assertThat(read(files, "/app/a.txt")).isEqualTo("new");
        assertThat(files.stat("/app/l").kind()).isEqualTo(VolumeEntry.Kind.SYMLINK);
        assertThat(counts.directories()).as("the directory existed").isZero();
        assertThat(counts.files()).isEqualTo(1);
    }

    @Test
    void gzipArchivesAreAccepted() throws IOException {
        byte[] tar = tar(w -> file(w, "z.txt", "zipped", 0644));
        var gz = new ByteArrayOutputStream();
        try (var out = new GZIPOutputStream(gz)) {
            out.write(tar);
        }
        files.importTar("/", new ByteArrayInputStream(gz.toByteArray()), ArchiveLimits.DEFAULT);
        assertThat(read(files, "/z.txt")).isEqualTo("zipped");
    }

    @Test
    void namesThatLeadOutAreRefused() {
        assertInvalid(w -> file(w, "../../escape", "x", 0644), "'..'");
        assertInvalid(w -> file(w, "a/../../escape", "x", 0644), "'..'");
        assertInvalid(w -> file(w, "/" + dirs.outside.resolve("evil").toString().substring(1), "x", 0644),
                "absolute");
        assertThat(dirs.root.resolve("escape")).doesNotExist();
    }

    @Test
    void hardLinksDevicesAndFifosAreRefused() {
        assertInvalid(w -> w.write(TarEntry.hardlink("h", "etc/passwd"), null), "hard link");
        assertInvalid(w -> w.write(TarEntry.hardlink("h", dirs.secret.toString()), null), "hard link");
        assertInvalid(w -> w.write(new TarEntry("fifo", TarEntry.Type.FIFO, 0644, 0, 0, 0, T, "", 0, 0, null), null),
                "device or FIFO");
        assertInvalid(w -> w.write(new TarEntry("null", TarEntry.Type.CHAR_DEVICE, 0666, 0, 0, 0, T, "", 1, 3, null),
                null), "device or FIFO");
        assertInvalid(w -> w.write(new TarEntry("sda", TarEntry.Type.BLOCK_DEVICE, 0660, 0, 0, 0, T, "", 8, 0, null),
                null), "device or FIFO");
        assertThat(dirs.root.resolve("h")).doesNotExist();
        assertThat(dirs.root.resolve("fifo")).doesNotExist();
        assertThat(dirs.root.resolve("null")).doesNotExist();
    }

    @Test
    void linksInTheArchiveLeadBackUnderTheTarget() throws IOException {
        byte[] tar = tar(w -> {
            w.write(TarEntry.symlink("root", "/", T), null);
            w.write(TarEntry.symlink("up", "../../../../../..", T), null);
            w.write(TarEntry.symlink("out", dirs.outside.toString(), T), null);
            file(w, "root/via-root", "1", 0644);
            file(w, "up/via-up", "2", 0644);
        });

        files.importTar("/imp", new ByteArrayInputStream(tar), ArchiveLimits.DEFAULT);

        assertThat(dirs.root.resolve("imp/via-root")).hasContent("1");
        assertThat(dirs.root.resolve("imp/via-up")).hasContent("2");

        byte[] throughOut = tar(w -> file(w, "out/secret", "overwritten?", 0644));
        // "out" leads to a path that does not exist under the target: refused rather than followed outside.
        assertThatThrownBy(() -> files.importTar("/imp", new ByteArrayInputStream(throughOut), ArchiveLimits.DEFAULT))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void linksASandboxPlantedLeadBackUnderTheTarget() throws IOException {
        dirs.link("imp/planted", dirs.outside.toString());
        dirs.link("imp/planted-root", "/");
        dirs.link("imp/to-secret", dirs.secret.toString());
        byte[] tar = tar(w -> {
            file(w, "planted-root/" + dirs.outside.toString().substring(1) + "/secret", "inside", 0644);
            file(w, "to-secret", "replaced the link", 0644);
        });

        files.importTar("/imp", new ByteArrayInputStream(tar), ArchiveLimits.DEFAULT);

        assertThat(dirs.root.resolve("imp").resolve(dirs.outside.toString().substring(1)).resolve("secret"))
                .hasContent("inside");
        assertThat(dirs.root.resolve("imp/to-secret")).isRegularFile().hasContent("replaced the link");
    }

    @Test
    void importingUnderALinkedTargetStaysInTheVolume() throws IOException {
        dirs.link("target", dirs.outside.toString());
        byte[] tar = tar(w -> file(w, "secret", "overwritten?", 0644));

        assertThatThrownBy(() -> files.importTar("/target", new ByteArrayInputStream(tar), ArchiveLimits.DEFAULT))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
        files.mkdir(dirs.outside.toString(), true); // now the link leads somewhere in the volume
        files.importTar("/target", new ByteArrayInputStream(tar), ArchiveLimits.DEFAULT);

        assertThat(dirs.root.resolve(dirs.outside.toString().substring(1)).resolve("secret")).hasContent("overwritten?");
    }

    @Test
    void limitsAreTooLarge() {
        var oneFile = new ArchiveLimits(1000, 10, 10);
        assertTooLarge(tar(w -> file(w, "big", "01234567890", 0644)), oneFile);
        assertThat(dirs.root.resolve("big")).doesNotExist();

        var total = new ArchiveLimits(15, 10, 10);
        assertTooLarge(tar(w -> {
            file(w, "a", "0123456789", 0644);
            file(w, "b", "0123456789", 0644);
        }), total);
        assertThat(dirs.root.resolve("b")).doesNotExist();

        var entries = new ArchiveLimits(1000, 2, 10);
        assertTooLarge(tar(w -> {
            w.write(TarEntry.directory("d1", 0755, T), null);
            w.write(TarEntry.directory("d2", 0755, T), null);
            w.write(TarEntry.directory("d3", 0755, T), null);
        }), entries);
        assertThat(dirs.root.resolve("d3")).doesNotExist();
    }

    @Test
    void malformedArchivesAreInvalidNotTooLarge() {
        byte[] garbage = "this is not a tar archive at all".repeat(40).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> files.importTar("/", new ByteArrayInputStream(garbage), ArchiveLimits.DEFAULT))
                .isInstanceOfSatisfying(InvalidArchiveException.class, e -> assertThat(e.tooLarge()).isFalse());

        byte[] tar = tar(w -> file(w, "cut", "x".repeat(2000), 0644));
        byte[] truncated = java.util.Arrays.copyOf(tar, 1024);
        assertThatThrownBy(() -> files.importTar("/", new ByteArrayInputStream(truncated), ArchiveLimits.DEFAULT))
                .isInstanceOfSatisfying(InvalidArchiveException.class, e -> assertThat(e.tooLarge()).isFalse());
        assertThat(dirs.root.toFile().list()).as("no partial file").isEmpty();
    }

    @Test
    void aFailingUploadIsNotCalledABrokenArchive() {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        assertThatThrownBy(() -> files.importTar("/", failing, ArchiveLimits.DEFAULT))
                .isNotInstanceOf(InvalidArchiveException.class).hasMessage("connection reset");
    }

    @Test
    void theTargetMustBeADirectory() throws IOException {
        files.write("/file", body("f"), 10);
        assertThatThrownBy(() -> files.importTar("/file", new ByteArrayInputStream(tar(w -> {
        })), ArchiveLimits.DEFAULT)).isInstanceOf(NotDirectoryException.class);
        assertThatThrownBy(() -> files.importTar("/file/sub", new ByteArrayInputStream(tar(w -> {
        })), ArchiveLimits.DEFAULT)).isInstanceOf(NotDirectoryException.class);
    }

    private void assertInvalid(TarBody body, String reason) {
        ThrowableAssert.ThrowingCallable call = () -> files.importTar("/", new ByteArrayInputStream(tar(body)),
                ArchiveLimits.DEFAULT);
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidArchiveException.class,
                e -> assertThat(e.tooLarge()).isFalse()).hasMessageContaining(reason);
    }

    private void assertTooLarge(byte[] tar, ArchiveLimits limits) {
        assertThatThrownBy(() -> files.importTar("/", new ByteArrayInputStream(tar), limits))
                .isInstanceOfSatisfying(InvalidArchiveException.class, e -> assertThat(e.tooLarge()).isTrue());
    }

    interface TarBody {
        void write(TarWriter writer) throws IOException;
    }

    private static byte[] tar(TarBody body) {
        try {
            var out = new ByteArrayOutputStream();
            var writer = new TarWriter(out);
            body.write(writer);
            writer.finish();
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void file(TarWriter w, String name, String content, int mode) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        w.write(TarEntry.file(name, mode, bytes.length, T), new ByteArrayInputStream(bytes));
    }
}
