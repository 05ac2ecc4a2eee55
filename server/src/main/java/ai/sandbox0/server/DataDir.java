package ai.sandbox0.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The server's state on disk. One server owns a data dir at a time: {@link #lock()} holds an OS lock
 * on {@code server.lock} for the life of the process, so a second server fails fast instead of
 * sharing the store.
 */
public final class DataDir implements AutoCloseable {

    private final Path root;
    private FileChannel lockChannel;
    private FileLock lock;

    public DataDir(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path store() {
        return root.resolve("sandbox0.db");
    }

    /** {@link #store()}, made (or kept) 0600 with its journal files before SQLite opens it. */
    public Path sqliteStore() {
        try {
            for (String name : List.of("sandbox0.db", "sandbox0.db-wal", "sandbox0.db-shm")) {
                Path file = root.resolve(name);
                if (Files.exists(file)) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } else if (name.equals("sandbox0.db")) {
                    // SQLite gives its journal files the database's mode.
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
            }
            return store();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the store " + store() + ": " + e.getMessage(), e);
        }
    }

    /** The volume pool: its sparse image and where it is mounted. */
    public Path volumes() {
        return root.resolve("volumes");
    }

    /** Each sandbox's egress audit (bounded JSON lines), deleted with the sandbox. */
    public Path egressAudit() {
        return root.resolve("egress-audit");
    }

    public Path adminApiKey() {
        return root.resolve("admin-api-key");
    }

    /**
     * The installation key every stored blob is encrypted under (a Tink keyset, made at first start). Without
     * it nothing in the blob store can be read again: back it up, and give every server sharing a bucket the
     * same file.
     */
    public Path blobEncryptionKey() {
        return root.resolve("blob-encryption-key.json");
    }

    /**
     * The installation key credential sources' secrets are encrypted under in the store (a Tink keyset, made at
     * first start). Without it no credential source can be read again: back it up with the store.
     */
    public Path credentialEncryptionKey() {
        return root.resolve("credential-encryption-key.json");
    }

    /** The first admin's generated password (when the operator did not set one). */
    public Path adminPassword() {
        return root.resolve("admin-password");
    }

    /**
     * Where sqlite-jdbc extracts its native library, emptied first: by default it uses
     * {@code java.io.tmpdir}, which hardened hosts mount noexec (the store then cannot open), and every
     * killed server leaves its copy there for good. Only the server holding {@link #lock()} uses this
     * directory, so what it finds is stale. Call after {@link #lock()}.
     */
    public Path nativeLibraries() {
        Path dir = root.resolve("native");
        try {
            if (Files.isDirectory(dir)) {
                try (var stale = Files.list(dir)) {
                    for (Path file : stale.toList()) {
                        Files.deleteIfExists(file);
                    }
                }
            }
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates the directory if needed and takes the single-server lock. The directory is 0711: sandboxes run
     * as unprivileged host ids and runc mounts their roots from inside, so others must pass through it (to the
     * node's dirs, which admit each sandbox to its own only); nobody but the server may list it, and its
     * files are the server's alone (the SQLite store is made 0600, secrets are written 0600).
     */
    public DataDir lock() {
        try {
            if (!Files.isDirectory(root)) {
                Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
            lockChannel = FileChannel.open(root.resolve("server.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process
            }
            if (lock == null) {
                String holder = new String(Files.readAllBytes(root.resolve("server.lock")), StandardCharsets.US_ASCII).trim();
                lockChannel.close();
                throw new IllegalStateException("data dir " + root + " is in use by another s0 server"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")"));
            }
            lockChannel.truncate(0);
            lockChannel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare data dir " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a secret file readable only by the owner: created 0600 under a temporary name, synced,
     * then renamed into place, so a crash leaves either the old file or the whole new one.
     */
    public static void writeSecret(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public void close() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException ignored) {
            // the OS drops the lock with the process anyway
        }
    }
}
