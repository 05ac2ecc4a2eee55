package ai.sandbox0.procd.file;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.file.FileInfo;
import ai.sandbox0.api.file.FileType;
import ai.sandbox0.procd.ProcdException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** The file operations of §6, with their error codes. */
public final class FileService {

    public static final long MAX_WRITE_BYTES = 100L * 1024 * 1024;
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
    private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"));

    private final Workspace workspace;

    public FileService(Workspace workspace) {
        this.workspace = workspace;
    }

    public Path resolve(String path) {
        return workspace.resolve(path);
    }

    /** A regular file to read, or the §6 error for what is there instead. */
    public Path readable(String path) {
        Path p = workspace.resolve(path);
        if (!Files.exists(p)) {
            throw new ProcdException(ErrorCode.FILE_NOT_FOUND, "file not found: " + path);
        }
        if (Files.isDirectory(p)) {
            throw new ProcdException(ErrorCode.PATH_NOT_FILE, "path is a directory: " + path);
        }
        if (!Files.isReadable(p)) {
            throw new ProcdException(ErrorCode.PERMISSION_DENIED, "permission denied: " + path);
        }
        return p;
    }

    /**
     * Writes {@code body} atomically: into a temporary file beside the target, mode 0644, then renamed
     * over it, so a reader never sees half a file. Parents are created (0755).
     */
    public void write(String path, InputStream body, long declaredLength) {
        Path p = workspace.resolve(path);
        if (declaredLength > MAX_WRITE_BYTES) {
            throw tooLarge();
        }
        if (Files.isDirectory(p)) {
            throw new ProcdException(ErrorCode.PATH_NOT_FILE, "path is a directory: " + path);
        }
        Path parent = p.getParent() == null ? p.getRoot() : p.getParent();
        createParents(parent, path);
        Path tmp = parent.resolve("." + p.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                for (int n; (n = body.read(buf)) > 0; ) {
                    total += n;
                    if (total > MAX_WRITE_BYTES) {
                        throw tooLarge();
                    }
                    out.write(buf, 0, n);
                }
            }
            Files.setPosixFilePermissions(tmp, FILE_MODE);
            Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw mapped(e, path, ErrorCode.FILE_NOT_FOUND);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    private static ProcdException tooLarge() {
        return new ProcdException(ErrorCode.FILE_TOO_LARGE, "file too large: the limit is 100 MiB");
    }

    private void createParents(Path dir, String requested) {
        Path existing = dir;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            throw new ProcdException(ErrorCode.PATH_NOT_DIRECTORY, "parent is not a directory: " + requested);
        }
        try {
            Files.createDirectories(dir, DIR_MODE);
        } catch (IOException e) {
            throw mapped(e, requested, ErrorCode.DIRECTORY_NOT_FOUND);
        }
    }

    public void mkdir(String path, boolean recursive) {
        Path p = workspace.resolve(path);
        if (recursive) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new ProcdException(ErrorCode.PATH_NOT_DIRECTORY, "path exists and is not a directory: " + path);
            }
            createParents(p, path);
            return;
        }
        try {
            Files.createDirectory(p, DIR_MODE);
        } catch (FileAlreadyExistsException e) {
            throw new ProcdException(ErrorCode.PATH_EXISTS, "path already exists: " + path);
        } catch (IOException e) {
            throw mapped(e, path, ErrorCode.DIRECTORY_NOT_FOUND);
        }
    }

    /** Recursive and idempotent, like RemoveAll: a missing path is success. Symlinks are not followed. */
    public void delete(String path) {
        Path p = workspace.resolve(path);
        if (p.getParent() == null) {
            throw new ProcdException(ErrorCode.PERMISSION_DENIED, "refusing to delete the root directory");
        }
        try {
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.deleteIfExists(p);
                return;
            }
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (DirectoryNotEmptyException e) {
            delete(path); // something was created while walking: go again
        } catch (IOException e) {
            throw mapped(e, path, ErrorCode.FILE_NOT_FOUND);
        }
    }

    public void move(String source, String destination) {
        if (source == null || source.isEmpty() || destination == null || destination.isEmpty()) {
            throw new ProcdException(ErrorCode.INVALID_PATHS, "source and destination are required");
        }
        Path from = workspace.resolve(source);
        Path to = workspace.resolve(destination);
        if (!Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
            throw new ProcdException(ErrorCode.FILE_NOT_FOUND, "file not found: " + source);
        }
        if (to.getParent() != null) {
            createParents(to.getParent(), destination);
        }
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw mapped(e, source, ErrorCode.FILE_NOT_FOUND);
        }
    }

    /** lstat: a symlink is described, not followed, with its target. */
    public FileInfo stat(String path) {
        Path p = workspace.resolve(path);
        try {
            return info(p, path, name(p), true);
        } catch (NoSuchFileException e) {
            throw new ProcdException(ErrorCode.FILE_NOT_FOUND, "file not found: " + path);
        } catch (IOException e) {
            throw mapped(e, path, ErrorCode.FILE_NOT_FOUND);
        }
    }

    public List<FileInfo> list(String path) {
        Path p = workspace.resolve(path);
        if (!Files.exists(p)) {
            throw new ProcdException(ErrorCode.DIRECTORY_NOT_FOUND, "directory not found: " + path);
        }
        if (!Files.isDirectory(p)) {
            throw new ProcdException(ErrorCode.PATH_NOT_DIRECTORY, "path is not a directory: " + path);
        }
        String base = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        List<FileInfo> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(p)) {
            for (Path e : entries.sorted(Comparator.comparing(Path::getFileName)).toList()) {
                String name = e.getFileName().toString();
                try {
                    out.add(info(e, base.equals("/") ? "/" + name : base + "/" + name, name, false));
                } catch (NoSuchFileException gone) {
                    // removed while listing
                }
            }
        } catch (IOException e) {
            throw mapped(e, path, ErrorCode.DIRECTORY_NOT_FOUND);
        }
        return out;
    }

    private static String name(Path p) {
        return p.getFileName() == null ? "/" : p.getFileName().toString();
    }

    private static FileInfo info(Path p, String shownPath, String name, boolean withTarget) throws IOException {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        FileType type = a.isSymbolicLink() ? FileType.SYMLINK : a.isDirectory() ? FileType.DIR : FileType.FILE;
        String target = null;
        if (a.isSymbolicLink() && withTarget) {
            target = Files.readSymbolicLink(p).toString();
        }
        return new FileInfo(name, shownPath, type, a.size(), mode(a.permissions()), a.lastModifiedTime().toInstant(),
                a.isSymbolicLink(), target);
    }

    /** {@code "0644"}: permission bits in octal, four digits. */
    static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", m);
    }

    private static ProcdException mapped(IOException e, String path, ErrorCode missing) {
        return switch (e) {
            case AccessDeniedException a -> new ProcdException(ErrorCode.PERMISSION_DENIED, "permission denied: " + path);
            case NoSuchFileException n -> new ProcdException(missing, "not found: " + path);
            case NotDirectoryException n -> new ProcdException(ErrorCode.PATH_NOT_DIRECTORY, "not a directory: " + path);
            case FileAlreadyExistsException f -> new ProcdException(ErrorCode.PATH_EXISTS, "path already exists: " + path);
            case FileSystemException f when f.getReason() != null && f.getReason().contains("Not a directory") ->
                    new ProcdException(ErrorCode.PATH_NOT_DIRECTORY, "not a directory: " + path);
            case FileSystemException f when f.getReason() != null && f.getReason().contains("Is a directory") ->
                    new ProcdException(ErrorCode.PATH_NOT_FILE, "path is a directory: " + path);
            default -> new ProcdException(ErrorCode.INTERNAL_ERROR, "file operation failed: " + path + ": "
                    + e.getClass().getSimpleName());
        };
    }
}
