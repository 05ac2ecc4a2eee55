package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.Syscalls.ENOENT;
import static ai.sandbox0.node.volume.Syscalls.ENOTDIR;
import static ai.sandbox0.node.volume.Syscalls.O_DIRECTORY;
import static ai.sandbox0.node.volume.Syscalls.O_PATH;

import ai.sandbox0.node.layer.TarEntry;
import ai.sandbox0.node.layer.TarReader;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.zip.GZIPInputStream;

/**
 * One tar import into a volume directory ({@code base}), which is also the root every entry resolves
 * in: a link the archive made earlier ({@code l -> /}, then {@code l/x}) leads back under {@code base}.
 * Entry names are checked first (absolute or with {@code ..}: refused, as upstream does), then each
 * parent is resolved and made on descriptors, and each file written to a new name and renamed into
 * place. Errors of the archive become {@link InvalidArchiveException}; errors of the stream it is
 * read from (a client gone) pass as they are.
 */
final class TarImport {

    /** Headers, padding and pax records a legitimate entry may add to the stream besides its content. */
    private static final long OVERHEAD_PER_ENTRY = 16 * 1024;

    private final VolumeFiles files;
    private final Fd base;
    private final LogicalPath shownBase;
    private final ArchiveLimits limits;
    private long entries;
    private long regularFiles;
    private long directories;
    private long symlinks;
    private long bytes;

    TarImport(VolumeFiles files, Fd base, LogicalPath shownBase, ArchiveLimits limits) {
        this.files = files;
        this.base = base;
        this.shownBase = shownBase;
        this.limits = limits;
    }

    ArchiveCounts run(InputStream source) throws IOException {
        // Bounds the whole stream too: content skipped for non-files (a gzip bomb inside a "directory")
        // would otherwise be decompressed without limit.
        long streamBound = saturatedAdd(limits.maxTotalBytes(),
                saturatedMultiply(saturatedAdd(limits.maxEntries(), 2), OVERHEAD_PER_ENTRY));
        try {
            InputStream tar = new Bounded(uncompressed(new Source(source)), streamBound);
            var reader = new TarReader(tar);
            for (TarEntry entry = next(reader); entry != null; entry = next(reader)) {
                if (++entries > limits.maxEntries()) {
                    throw new InvalidArchiveException("archive has more than " + limits.maxEntries() + " entries",
                            true);
                }
                extract(entry, reader);
            }
            return new ArchiveCounts(regularFiles, directories, symlinks, bytes);
        } catch (Source.Failure f) {
            throw f.getCause();
        }
    }

    private void extract(TarEntry entry, TarReader reader) throws IOException {
        LogicalPath rel = relative(entry);
        if (rel.isRoot()) {
            if (entry.type() == TarEntry.Type.DIRECTORY) {
                return; // "./": the target itself
            }
            throw new InvalidArchiveException("archive entry '" + entry.name() + "' has no name", false);
        }
        LogicalPath shown = join(shownBase, rel);
        switch (entry.type()) {
            case DIRECTORY -> {
                try (Fd parent = files.directories(base, shownBase, rel.parent())) {
                    if (files.createDirectory(parent, rel.nameBytes(), mode(entry, 0755))) {
                        directories++;
                    } else {
                        requireDirectory(rel, shown);
                    }
                } catch (SyscallException e) {
                    throw VolumeFiles.translate(e, shown);
                }
            }
            case FILE -> {
                if (entry.size() > limits.maxFileBytes()) {
                    throw new InvalidArchiveException("archive entry '" + entry.name() + "' has " + entry.size()
                            + " bytes, more than " + limits.maxFileBytes() + " allowed for one file", true);
                }
                if (bytes + entry.size() > limits.maxTotalBytes()) {
                    throw new InvalidArchiveException("archive holds more than " + limits.maxTotalBytes()
                            + " bytes of files", true);
                }
                try (Fd parent = files.directories(base, shownBase, rel.parent())) {
                    long written = files.replaceFile(parent, shown, content(reader), entry.size(),
                            mode(entry, 0644), false, entry.mtime());
                    if (written != entry.size()) {
                        throw new InvalidArchiveException("archive entry '" + entry.name() + "' is truncated", false);
                    }
                    regularFiles++;
                    bytes += written;
                }
            }
            case SYMLINK -> {
                String target = entry.linkName();
                if (target.isEmpty() || target.indexOf('\0') >= 0) {
                    throw new InvalidArchiveException("archive entry '" + entry.name()
                            + "' is a symbolic link without a valid target", false);
                }
                try (Fd parent = files.directories(base, shownBase, rel.parent())) {
                    files.replaceSymlink(parent, shown, target.getBytes(StandardCharsets.UTF_8));
                    symlinks++;
                }
            }
            case HARDLINK -> throw new InvalidArchiveException("archive entry '" + entry.name()
                    + "' is a hard link; hard links are not supported", false);
            case CHAR_DEVICE, BLOCK_DEVICE, FIFO -> throw new InvalidArchiveException("archive entry '"
                    + entry.name() + "' is a device or FIFO; only files, directories and symbolic links are allowed",
                    false);
        }
    }

    /** An existing name met by a directory entry must be a directory (or a link to one, in the target). */
    private void requireDirectory(LogicalPath rel, LogicalPath shown) throws IOException {
        try {
            base.resolve(rel, O_PATH | O_DIRECTORY).close(); // fine: archives name directories again and again
        } catch (SyscallException e) {
            if (e.is(ENOTDIR) || e.is(ENOENT)) {
                throw new NotDirectoryException(shown.toString());
            }
            throw VolumeFiles.translate(e, shown);
        }
    }

    private static LogicalPath relative(TarEntry entry) throws InvalidArchiveException {
        String name = entry.name();
        if (name.startsWith("/")) {
            throw new InvalidArchiveException("archive entry '" + name + "' has an absolute name", false);
        }
        if (name.indexOf('\0') >= 0) {
            throw new InvalidArchiveException("archive entry name holds a NUL character", false);
        }
        var names = new ArrayList<String>();
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new InvalidArchiveException("archive entry '" + name + "' leads out with '..'", false);
            }
            if (!part.isEmpty() && !part.equals(".")) {
                names.add(part);
            }
        }
        return new LogicalPath(names);
    }

    /** The archive's permission bits without setuid, setgid and sticky; none at all means the default. */
    private static int mode(TarEntry entry, int fallback) {
        int mode = entry.mode() & 0777;
        return mode == 0 ? fallback : mode;
    }

    private static TarEntry next(TarReader reader) throws IOException {
        try {
            return reader.next();
        } catch (Source.Failure | InvalidArchiveException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidArchiveException(e.getMessage(), false);
        }
    }

    /** The current entry's content, with the archive's errors told apart from the source's. */
    private static InputStream content(TarReader reader) {
        return new FilterInputStream(reader.content()) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (Source.Failure | InvalidArchiveException e) {
                    throw e;
                } catch (IOException e) {
                    throw new InvalidArchiveException(e.getMessage(), false);
                }
            }
        };
    }

    private static InputStream uncompressed(InputStream in) throws IOException {
        var buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(2);
        int first = buffered.read();
        int second = buffered.read();
        buffered.reset();
        if (first == 0x1f && second == 0x8b) {
            try {
                return new GZIPInputStream(buffered, 1 << 16);
            } catch (Source.Failure f) {
                throw f;
            } catch (IOException e) {
                throw new InvalidArchiveException("archive: broken gzip stream (" + e.getMessage() + ")", false);
            }
        }
        return buffered;
    }

    private static LogicalPath join(LogicalPath base, LogicalPath rel) {
        var names = new ArrayList<>(base.names());
        names.addAll(rel.names());
        return new LogicalPath(names);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        return (high == 0 && low >= 0) ? low : Long.MAX_VALUE;
    }

    /** The caller's stream, its failures marked so they are not mistaken for a broken archive. */
    private static final class Source extends FilterInputStream {

        static final class Failure extends IOException {
            Failure(IOException cause) {
                super(cause);
            }

            @Override
            public synchronized IOException getCause() {
                return (IOException) super.getCause();
            }
        }

        Source(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw new Failure(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw new Failure(e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return super.skip(n);
            } catch (IOException e) {
                throw new Failure(e);
            }
        }
    }

    /** Fails once more than {@code bound} bytes of tar stream were read. */
    private static final class Bounded extends FilterInputStream {
        private final long bound;
        private long read;

        Bounded(InputStream in, long bound) {
            super(in);
            this.bound = bound;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count(skipped);
            return skipped;
        }

        private void count(long n) throws InvalidArchiveException {
            read += n;
            if (read > bound) {
                throw new InvalidArchiveException("archive stream is larger than its limits allow", true);
            }
        }
    }
}
