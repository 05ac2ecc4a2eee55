package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlobStore} over a directory: {@code <root>/sha256/<hex>}, read-only files. A write goes
 * to {@code <root>/tmp/<pid>-<random>}, is fsynced, checked against its digest and renamed into
 * place atomically, so a reader never sees a partial blob and a crash leaves only a temp file,
 * which the next store opened on the directory removes once its writer process is gone.
 */
public final class LocalBlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(LocalBlobStore.class);

    private final Path root;
    private final Path blobs;
    private final Path tmp;

    public LocalBlobStore(Path root) throws IOException {
        this.root = root;
        this.blobs = root.resolve(Digest.ALGORITHM);
        this.tmp = root.resolve("tmp");
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new IOException("blob store: create directories under " + root + ": " + e.getMessage(), e);
        }
        removeAbandonedUploads();
    }

    public Path root() {
        return root;
    }

    @Override
    public BlobUpload upload() throws IOException {
        Path file = tmp.resolve(ProcessHandle.current().pid() + "-" + UUID.randomUUID());
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("blob store: create upload file " + file + ": " + e.getMessage(), e);
        }
        return new LocalUpload(file, channel);
    }

    @Override
    public InputStream open(Digest digest) throws IOException {
        try {
            return new VerifyingInputStream(Files.newInputStream(pathOf(digest)), digest, root.toString());
        } catch (NoSuchFileException e) {
            throw new NoSuchBlobException(digest, root.toString());
        }
    }

    @Override
    public boolean exists(Digest digest) {
        return Files.isRegularFile(pathOf(digest));
    }

    @Override
    public long size(Digest digest) throws IOException {
        try {
            return Files.size(pathOf(digest));
        } catch (NoSuchFileException e) {
            throw new NoSuchBlobException(digest, root.toString());
        }
    }

    @Override
    public boolean delete(Digest digest) throws IOException {
        return Files.deleteIfExists(pathOf(digest));
    }

    @Override
    public Instant lastWritten(Digest digest) throws IOException {
        try {
            return Files.getLastModifiedTime(pathOf(digest)).toInstant();
        } catch (NoSuchFileException e) {
            throw new NoSuchBlobException(digest, root.toString());
        }
    }

    @Override
    public List<Digest> list() throws IOException {
        var digests = new ArrayList<Digest>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(blobs)) {
            for (Path p : dir) {
                try {
                    digests.add(new Digest(p.getFileName().toString()));
                } catch (IllegalArgumentException notABlob) {
                    // a stray file someone put here; not ours to list or remove
                }
            }
        }
        digests.sort(null);
        return digests;
    }

    private Path pathOf(Digest digest) {
        return blobs.resolve(digest.hex());
    }

    /** Temp files of writers that no longer run are leftovers of a crash. */
    private void removeAbandonedUploads() throws IOException {
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tmp)) {
            for (Path p : dir) {
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
                log.info("blob store {}: removing abandoned upload {}", root, name);
                Files.deleteIfExists(p);
            }
        }
    }

    private final class LocalUpload implements BlobUpload {

        private final Path file;
        private final FileChannel channel;
        private final MessageDigest sha = Digest.newSha256();
        private final OutputStream stream;
        private long size;
        private boolean done;

        LocalUpload(Path file, FileChannel channel) {
            this.file = file;
            this.channel = channel;
            this.stream = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (done) {
                        throw new IOException("blob upload " + file + " is already finished");
                    }
                    sha.update(b, off, len);
                    ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    size += len;
                }

                @Override
                public void close() {
                    // committing is explicit; a wrapper closing us must not end the upload
                }
            };
        }

        @Override
        public OutputStream stream() {
            return stream;
        }

        @Override
        public Blob commit() throws IOException {
            return finish(null);
        }

        @Override
        public Blob commit(Digest expected) throws IOException {
            return finish(expected);
        }

        private Blob finish(Digest expected) throws IOException {
            if (done) {
                throw new IllegalStateException("blob upload " + file + " is already finished");
            }
            done = true;
            try {
                channel.force(true);
                channel.close();
                Digest digest = Digest.of(sha);
                if (expected != null && !expected.equals(digest)) {
                    throw new DigestMismatchException(expected, digest, "blob store: verify upload");
                }
                Path target = pathOf(digest);
                if (Files.exists(target)) {
                    Files.delete(file); // same content is already there: put is idempotent
                    // ...and fresh again: a collector's grace period must cover this writer too.
                    Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
                    return new Blob(digest, size);
                }
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
                try {
                    // Two writers of one content both rename; the second replaces identical bytes.
                    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                    throw new IOException("blob store: rename " + file + " to " + target + ": " + e, e);
                }
                syncDirectory(blobs);
                return new Blob(digest, size);
            } finally {
                Files.deleteIfExists(file);
            }
        }

        @Override
        public void close() throws IOException {
            if (!done) {
                done = true;
                channel.close();
                Files.deleteIfExists(file);
            }
        }
    }

    /** The rename is durable only once the directory entry is on disk. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
