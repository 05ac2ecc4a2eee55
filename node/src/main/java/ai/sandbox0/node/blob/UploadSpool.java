package ai.sandbox0.node.blob;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local directory a blob store writes uploads to while they are hashed, since a blob's name (its
 * digest) is known only at the end. Files are named {@code <pid>-<random>}: a crash leaves one behind,
 * and the next store opened on the directory removes those whose writer process is gone.
 */
public final class UploadSpool {

    private static final Logger log = LoggerFactory.getLogger(UploadSpool.class);

    /** A new spool file, open for writing (and reading back, for stores that send it on). */
    public record SpoolFile(Path path, FileChannel channel) {
    }

    private final Path dir;
    private final String where;

    /** Creates the directory (owner-only) and removes what crashed writers left; {@code where} names the store. */
    public UploadSpool(Path dir, String where) throws IOException {
        this.dir = dir;
        this.where = where;
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new IOException("blob store " + where + ": create upload directory " + dir + ": " + e.getMessage(), e);
        }
        removeAbandoned();
    }

    public Path dir() {
        return dir;
    }

    public SpoolFile newFile() throws IOException {
        Path file = dir.resolve(ProcessHandle.current().pid() + "-" + UUID.randomUUID());
        try {
            return new SpoolFile(file, FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ));
        } catch (IOException e) {
            throw new IOException("blob store " + where + ": create upload file " + file + ": " + e.getMessage(), e);
        }
    }

    private void removeAbandoned() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                int dash = name.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(name.substring(0, Math.max(dash, 0)));
                } catch (NumberFormatException e) {
                    pid = -1;
                }
                if (pid == ProcessHandle.current().pid() || (pid > 0 && ProcessHandle.of(pid).isPresent())) {
                    continue;
                }
                log.info("blob store {}: removing abandoned upload {}", where, name);
                Files.deleteIfExists(p);
            }
        }
    }
}
