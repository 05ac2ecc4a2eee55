package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;
import java.io.IOException;
import java.io.InputStream;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BlobStore} over a directory: {@code <root>/sha256/<hex>}, read-only files. A write goes
 * to the {@link UploadSpool} {@code <root>/tmp}, is fsynced, checked against its digest and renamed
 * into place atomically, so a reader never sees a partial blob and a crash leaves only a spool file.
 */
public final class LocalBlobStore implements BlobStore {

    private final Path root;
    private final Path blobs;
    private final UploadSpool spool;
    private final BlobCipher cipher;

    /** A store keeping blobs as they are. */
    public LocalBlobStore(Path root) throws IOException {
        this(root, null);
    }

    /** A store keeping blobs encrypted by {@code cipher} (null: as they are). */
    public LocalBlobStore(Path root, BlobCipher cipher) throws IOException {
        this.cipher = cipher;
        this.root = root;
        this.blobs = root.resolve(Digest.ALGORITHM);
        try {
            Files.createDirectories(blobs);
        } catch (IOException e) {
            throw new IOException("blob store: create directories under " + root + ": " + e.getMessage(), e);
        }
        this.spool = new UploadSpool(root.resolve("tmp"), root.toString());
    }

    public Path root() {
        return root;
    }

    @Override
    public BlobUpload upload() throws IOException {
        return new SpooledUpload(spool.newFile(), root.toString(), cipher) {
            @Override
            protected void store(Path file, FileChannel channel, Digest digest, long storedBytes) throws IOException {
                channel.force(true);
                Path target = pathOf(digest);
                if (Files.exists(target)) {
                    // Same content is already there: put is idempotent, and the blob is fresh again (a
                    // collector's grace period must cover this writer too).
                    Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
                    return;
                }
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
                try {
                    // Two writers of one content both rename; the second replaces identical bytes.
                    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                    throw new IOException("blob store: rename " + file + " to " + target + ": " + e, e);
                }
                syncDirectory(blobs);
            }
        };
    }

    @Override
    public InputStream open(Digest digest) throws IOException {
        try {
            InputStream stored = Files.newInputStream(pathOf(digest));
            return new VerifyingInputStream(cipher == null ? stored : cipher.decrypting(stored), digest, root.toString());
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

    /** The rename is durable only once the directory entry is on disk. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
