package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.Syscalls.EDQUOT;
import static ai.sandbox0.node.volume.Syscalls.EEXIST;
import static ai.sandbox0.node.volume.Syscalls.EINVAL;
import static ai.sandbox0.node.volume.Syscalls.EISDIR;
import static ai.sandbox0.node.volume.Syscalls.ENOENT;
import static ai.sandbox0.node.volume.Syscalls.ENOSPC;
import static ai.sandbox0.node.volume.Syscalls.ENOTDIR;
import static ai.sandbox0.node.volume.Syscalls.O_DIRECTORY;
import static ai.sandbox0.node.volume.Syscalls.O_NONBLOCK;
import static ai.sandbox0.node.volume.Syscalls.O_PATH;
import static ai.sandbox0.node.volume.Syscalls.O_RDONLY;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * File operations on one volume from the host, confined to it: every path is resolved inside the volume's
 * root ({@code openat2} with {@code RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV}), so a
 * symbolic link a sandbox planted ({@code /x -> /etc/shadow}, {@code ../../..}) resolves inside the volume,
 * never on the host. Paths are logical and absolute ({@code /a/b}), cleaned lexically ({@code /a/../b} is
 * {@code /b}, {@code ..} stops at the root); a path that is not absolute or holds a NUL is an
 * {@link IllegalArgumentException}, and so is an operation the root cannot take (delete or move it).
 * Failures use the JDK's exceptions: NoSuchFileException, FileAlreadyExistsException, NotDirectoryException,
 * DirectoryNotEmptyException, AccessDeniedException (read-only), {@link VolumeFullException},
 * {@link NotRegularFileException}, {@link FileTooLargeException}; their file is the logical path, never a
 * host path. Files and directories made here belong to {@code uid:gid}.
 *
 * <p>Everything works on descriptors: the root is opened per call (so a restore that swaps the volume's
 * subvolume is seen by the next call), each parent directory is resolved in it, and the last name is acted on
 * with the {@code *at} call on that parent, which never follows a link at that name. Links met on the way
 * (in parent directories; at the end for {@link #read} and {@link #list}) are followed, inside the root.
 * A sandbox racing a call can at most make it act on another entry of the same volume. Nothing is read or
 * written but regular files: a FIFO, socket or device is never opened.
 *
 * <p>Instances hold no descriptor and are safe to share between threads.
 */
public final class VolumeFiles {

    private static final int DIRECTORY_MODE = 0755;
    private static final int FILE_MODE = 0644;
    private static final int COPY_BUFFER = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Names of the files a write fills before renaming them into place; watches do not report them. */
    static final String PARTIAL_PREFIX = ".s0-partial-";

    private final Path root;
    private final long uid;
    private final long gid;
    private final boolean readOnly;

    private VolumeFiles(Path root, long uid, long gid, boolean readOnly) {
        this.root = Objects.requireNonNull(root, "root");
        this.uid = uid;
        this.gid = gid;
        this.readOnly = readOnly;
    }

    /** Files under {@code root} (a directory the caller trusts), made with owner {@code uid:gid}. */
    public static VolumeFiles at(Path root, long uid, long gid, boolean readOnly) {
        if (uid < 0 || uid > 0xffff_fffeL || gid < 0 || gid > 0xffff_fffeL) {
            throw new IllegalArgumentException("uid and gid must be between 0 and 4294967294: " + uid + ":" + gid);
        }
        return new VolumeFiles(root, uid, gid, readOnly);
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** {@code lstat} of the path: a symbolic link is described (with its target), not followed. */
    public VolumeEntry stat(String path) throws IOException {
        LogicalPath target = LogicalPath.parse(path);
        try (Fd volume = openRoot()) {
            if (target.isRoot()) {
                return entry("/", target, volume.stat(), null);
            }
            try (Fd parent = volume.resolve(target.parent(), O_PATH | O_DIRECTORY)) {
                return describe(parent, target.nameBytes(), target);
            }
        } catch (SyscallException e) {
            throw translate(e, target);
        }
    }

    /**
     * The directory's direct children, by name. A link to a directory is listed as that directory (its
     * target resolved inside the volume); entries removed while listing are left out.
     */
    public List<VolumeEntry> list(String path) throws IOException {
        LogicalPath target = LogicalPath.parse(path);
        try (Fd volume = openRoot(); Fd dir = volume.resolve(target, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
                Arena arena = Arena.ofConfined()) {
            var entries = new ArrayList<VolumeEntry>();
            var names = new DirectoryEntries(dir, arena.allocate(32 * 1024));
            for (byte[] name = names.next(); name != null; name = names.next()) {
                String shown = new String(name, StandardCharsets.UTF_8);
                try {
                    entries.add(describe(dir, name, target.child(shown)));
                } catch (SyscallException e) {
                    if (!e.is(ENOENT)) {
                        throw e;
                    }
                }
            }
            entries.sort(Comparator.comparing(VolumeEntry::name));
            return entries;
        } catch (SyscallException e) {
            throw translate(e, target);
        }
    }

    /**
     * Opens a regular file for reading (a symbolic link is followed inside the volume). A directory, FIFO,
     * socket or device is a {@link NotRegularFileException}: it is looked at through an {@code O_PATH}
     * descriptor, never opened, and the channel reopens that descriptor's inode.
     */
    public SeekableByteChannel read(String path) throws IOException {
        LogicalPath target = LogicalPath.parse(path);
        try (Fd volume = openRoot(); Fd file = volume.resolve(target, O_PATH)) {
            Syscalls.Stat stat = file.stat();
            if (stat.isDirectory()) {
                throw new NotRegularFileException(target.toString(), "is a directory");
            }
            if (!stat.isRegular()) {
                throw new NotRegularFileException(target.toString(), "is not a regular file (a FIFO, socket or device)");
            }
            return FileChannel.open(file.procPath(), StandardOpenOption.READ);
        } catch (SyscallException e) {
            throw translate(e, target);
        }
    }

    /**
     * Replaces the file's content by {@code body} (at most {@code maxBytes}, else {@link FileTooLargeException}
     * before more is written), creating missing parent directories; returns the bytes written.
     *
     * <p>The content goes to a new file in the same directory that is then renamed over the path, so readers
     * see the old content or the new, and a failure (too large, volume full, a broken body) leaves the old
     * content as it was. The price: the path gets a new inode (other hard links to the old one keep the old
     * content, a process holding it open keeps reading the old), and for a moment both take space in the
     * volume's quota. An existing file keeps its owner and permission bits (setuid and setgid are dropped, as
     * the kernel does when a file is written); a new file is {@code 0644 uid:gid}. A symbolic link at the path
     * is replaced by the file, not written through; a directory, FIFO, socket or device is refused.
     */
    public long write(String path, InputStream body, long maxBytes) throws IOException {
        LogicalPath target = LogicalPath.parse(path);
        requireWritable(target);
        if (target.isRoot()) {
            throw new NotRegularFileException("/", "is a directory");
        }
        try (Fd volume = openRoot(); Fd parent = directories(volume, LogicalPath.ROOT, target.parent())) {
            return replaceFile(parent, target, body, maxBytes, FILE_MODE, true, null);
        } catch (SyscallException e) {
            throw translate(e, target);
        }
    }

    /**
     * Makes a directory ({@code 0755 uid:gid}), with its missing parents when {@code recursive}.
     * FileAlreadyExistsException if the path exists, except an existing directory when {@code recursive};
     * NoSuchFileException if the parent is missing and not {@code recursive}.
     */
    public void mkdir(String path, boolean recursive) throws IOException {
        LogicalPath target = LogicalPath.parse(path);
        requireWritable(target);
        if (target.isRoot()) {
            if (recursive) {
                return;
            }
            throw new FileAlreadyExistsException("/");
        }
        try (Fd volume = openRoot();
                Fd parent = recursive ? directories(volume, LogicalPath.ROOT, target.parent())
                        : openParent(volume, target)) {
            if (!createDirectory(parent, target.nameBytes(), DIRECTORY_MODE)) {
                if (!recursive) {
                    throw new FileAlreadyExistsException(target.toString());
                }
                try {
                    volume.resolve(target, O_PATH | O_DIRECTORY).close(); // a directory, or a link to one: fine
                } catch (SyscallException e) {
                    if (e.is(ENOTDIR) || e.is(ENOENT)) {
                        throw new FileAlreadyExistsException(target.toString(), null, "exists and is not a directory");
                    }
                    throw e;
                }
            }
        } catch (SyscallException e) {
            throw translate(e, target);
        }
    }

    /**
     * Deletes a file, link (not its target) or directory with everything in it. NoSuchFileException if
     * absent. A tree that a sandbox changes meanwhile is removed as far as it can be; links in it are
     * removed, never followed.
     */
    public void delete(String path) throws IOException {
        LogicalPath target = LogicalPath.parse(path);
        requireWritable(target);
        if (target.isRoot()) {
            throw new IllegalArgumentException("the volume's root cannot be deleted");
        }
        try (Fd volume = openRoot(); Fd parent = openParent(volume, target)) {
            byte[] name = target.nameBytes();
            if (parent.lstat(name).isDirectory()) {
                Subtree.remove(parent, name, target);
                return;
            }
            try {
                Syscalls.unlinkat(parent.number(), name, 0);
            } catch (SyscallException e) {
                if (!e.is(EISDIR)) {
                    throw e;
                }
                Subtree.remove(parent, name, target); // became a directory meanwhile
            }
        } catch (SyscallException e) {
            throw translate(e, target);
        }
    }

    /**
     * Renames {@code source} to {@code destination}, creating the destination's missing parent directories
     * (as {@link #write} does). A file or link there is replaced, an empty directory by a directory;
     * a non-empty directory is a DirectoryNotEmptyException. A link at {@code source} is moved itself.
     * Moving a directory into itself (or the root at all) is an IllegalArgumentException.
     */
    public void move(String source, String destination) throws IOException {
        LogicalPath from = LogicalPath.parse(source);
        LogicalPath to = LogicalPath.parse(destination);
        requireWritable(from);
        if (from.isRoot() || to.isRoot()) {
            throw new IllegalArgumentException("the volume's root cannot be moved or replaced");
        }
        if (from.contains(to) && !from.equals(to)) {
            throw new IllegalArgumentException("cannot move " + from + " into itself (" + to + ")");
        }
        try (Fd volume = openRoot(); Fd fromParent = openParent(volume, from)) {
            fromParent.lstat(from.nameBytes()); // NoSuchFileException before making any directory
            try (Fd toParent = directories(volume, LogicalPath.ROOT, to.parent())) {
                Syscalls.renameat2(fromParent.number(), from.nameBytes(), toParent.number(), to.nameBytes(), 0);
            } catch (SyscallException e) {
                if (e.is(EINVAL)) {
                    throw new IllegalArgumentException("cannot move " + from + " into itself (" + to + ")");
                }
                throw e.is(ENOENT) ? new NoSuchFileException(from.toString()) : translate(e, to);
            }
        } catch (SyscallException e) {
            throw translate(e, from);
        }
    }

    /**
     * Unpacks a tar stream (plain or gzip) under {@code path} (created if missing); regular files and links
     * overwrite. Not atomic: what was written before a failure stays. Every entry lands under {@code path},
     * even through links the archive or a sandbox made ({@code path} is the root entries resolve in).
     * Refused as {@link InvalidArchiveException}: absolute names, names with {@code ..}, hard links,
     * devices and FIFOs, a malformed stream, and (with {@code tooLarge}) anything past {@code limits}.
     * Owners are {@code uid:gid}, not the archive's; permission bits are the archive's, without setuid,
     * setgid and sticky. {@link ArchiveCounts#directories} counts the directories the archive made.
     */
    public ArchiveCounts importTar(String path, InputStream tar, ArchiveLimits limits) throws IOException {
        LogicalPath target = LogicalPath.parse(path);
        requireWritable(target);
        try (Fd volume = openRoot(); Fd base = directories(volume, LogicalPath.ROOT, target)) {
            return new TarImport(this, base, target, limits).run(tar);
        } catch (SyscallException e) {
            throw translate(e, target);
        }
    }

    /** Sum of the sizes of the regular files (a hard-linked file once), walking without following links. */
    public long logicalBytes() throws IOException {
        try (Fd volume = openRoot()) {
            return Subtree.regularBytes(volume, LogicalPath.ROOT);
        } catch (SyscallException e) {
            throw translate(e, LogicalPath.ROOT);
        }
    }

    // ---- shared with TarImport: every step on a descriptor ----

    /**
     * Opens directory {@code dir} under {@code base} (its root for resolving), making the missing ones
     * ({@code 0755 uid:gid}). {@code shownBase} is where {@code base} is in the volume, for errors.
     */
    Fd directories(Fd base, LogicalPath shownBase, LogicalPath dir) throws IOException {
        try {
            return base.resolve(dir, O_PATH | O_DIRECTORY);
        } catch (SyscallException e) {
            if (!e.is(ENOENT)) {
                throw translate(e, join(shownBase, dir));
            }
        }
        Fd current = base.resolve(LogicalPath.ROOT, O_PATH | O_DIRECTORY);
        try {
            for (int i = 1; i <= dir.names().size(); i++) {
                LogicalPath prefix = dir.prefix(i);
                Fd next;
                try {
                    next = base.resolve(prefix, O_PATH | O_DIRECTORY);
                } catch (SyscallException e) {
                    if (!e.is(ENOENT)) {
                        throw translate(e, join(shownBase, prefix));
                    }
                    try {
                        createDirectory(current, prefix.nameBytes(), DIRECTORY_MODE);
                    } catch (SyscallException made) {
                        throw translate(made, join(shownBase, prefix));
                    }
                    try {
                        next = base.resolve(prefix, O_PATH | O_DIRECTORY);
                    } catch (SyscallException again) {
                        throw again.is(ENOENT)
                                ? new NoSuchFileException(join(shownBase, prefix).toString(), null,
                                        "a symbolic link to nothing is in the way")
                                : translate(again, join(shownBase, prefix));
                    }
                }
                current.close();
                current = next;
            }
            return current;
        } catch (IOException | RuntimeException e) {
            current.close();
            throw e;
        }
    }

    /**
     * Makes directory {@code name} in {@code parent} with exactly {@code mode} and owner uid:gid; false if
     * something has that name already.
     */
    boolean createDirectory(Fd parent, byte[] name, int mode) throws SyscallException {
        try {
            Syscalls.mkdirat(parent.number(), name, mode);
        } catch (SyscallException e) {
            if (e.is(EEXIST)) {
                return false;
            }
            throw e;
        }
        // Opened as a plain name that must be a directory: if a sandbox swapped it already, we chown
        // whatever directory of the volume is there now, which is harmless.
        try (Fd made = parent.child(name, O_RDONLY | O_DIRECTORY | O_NONBLOCK)) {
            Syscalls.fchown(made.number(), uid, gid); // owner first: chown clears setgid
            Syscalls.fchmod(made.number(), mode); // mkdir's mode went through the umask
        } catch (SyscallException e) {
            if (!e.is(ENOENT) && !e.is(ENOTDIR) && !e.is(Syscalls.ELOOP)) {
                throw e;
            }
        }
        return true;
    }

    /**
     * Writes {@code content} to a new file in {@code parent} and renames it to {@code path}'s name.
     * With {@code keepExisting}, an existing regular file's owner and mode carry over; else the file is
     * {@code mode uid:gid}. {@code modified}, when given, becomes the file's mtime.
     */
    long replaceFile(Fd parent, LogicalPath path, InputStream content, long maxBytes, int mode, boolean keepExisting,
            Instant modified) throws IOException {
        byte[] name = path.nameBytes();
        long owner = uid;
        long group = gid;
        Syscalls.Stat existing = lstatOrNull(parent, name, path);
        if (existing != null) {
            if (existing.isDirectory()) {
                throw new NotRegularFileException(path.toString(), "is a directory");
            }
            if (!existing.isRegular() && !existing.isSymlink()) {
                throw new NotRegularFileException(path.toString(),
                        "is a FIFO, socket or device; only regular files are written");
            }
            if (keepExisting && existing.isRegular()) {
                mode = existing.mode() & 0777;
                owner = existing.uid();
                group = existing.gid();
            }
        }
        Temporary temporary = null;
        boolean renamed = false;
        try {
            temporary = Temporary.create(parent);
            long written;
            try (Fd file = temporary.file()) {
                Syscalls.fchown(file.number(), owner, group); // owner first: chown clears setuid and setgid
                Syscalls.fchmod(file.number(), mode);
                written = copy(content, file, maxBytes, path);
                if (modified != null) {
                    Syscalls.setModified(file.number(), modified);
                }
            }
            Syscalls.renameat2(parent.number(), temporary.name(), parent.number(), name, 0);
            renamed = true;
            return written;
        } catch (SyscallException e) {
            throw translate(e, path);
        } finally {
            if (!renamed && temporary != null) {
                try {
                    Syscalls.unlinkat(parent.number(), temporary.name(), 0);
                } catch (SyscallException ignored) {
                    // already gone
                }
            }
        }
    }

    /** A new, empty file under a name no one uses, open for writing. */
    private record Temporary(byte[] name, Fd file) {

        static Temporary create(Fd parent) throws SyscallException {
            for (int attempt = 0; ; attempt++) {
                byte[] name = temporaryName();
                try {
                    return new Temporary(name, parent.createFile(name, 0600));
                } catch (SyscallException e) {
                    if (!e.is(EEXIST) || attempt >= 8) {
                        throw e;
                    }
                }
            }
        }
    }

    /** Makes (or replaces) the symbolic link {@code path} in {@code parent}, owned by uid:gid. */
    void replaceSymlink(Fd parent, LogicalPath path, byte[] target) throws IOException {
        byte[] temporary = temporaryName();
        boolean renamed = false;
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    Syscalls.symlinkat(target, parent.number(), temporary);
                    break;
                } catch (SyscallException e) {
                    if (!e.is(EEXIST) || attempt >= 8) {
                        throw e;
                    }
                    temporary = temporaryName();
                }
            }
            Syscalls.lchownat(parent.number(), temporary, uid, gid);
            Syscalls.renameat2(parent.number(), temporary, parent.number(), path.nameBytes(), 0);
            renamed = true;
        } catch (SyscallException e) {
            if (e.is(EISDIR)) {
                throw new FileAlreadyExistsException(path.toString(), null, "a directory is in the way");
            }
            throw translate(e, path);
        } finally {
            if (!renamed) {
                try {
                    Syscalls.unlinkat(parent.number(), temporary, 0);
                } catch (SyscallException ignored) {
                    // never created
                }
            }
        }
    }

    /** The volume's errno, told the way the JDK tells it, about the logical path. */
    static IOException translate(SyscallException e, LogicalPath path) {
        String shown = path.toString();
        return switch (e.errno()) {
            case ENOENT -> new NoSuchFileException(shown);
            case EEXIST -> new FileAlreadyExistsException(shown);
            case ENOTDIR -> new NotDirectoryException(shown);
            case Syscalls.ENOTEMPTY -> new DirectoryNotEmptyException(shown);
            case Syscalls.EACCES, Syscalls.EPERM, Syscalls.EROFS ->
                    new AccessDeniedException(shown, null, Syscalls.strerror(e.errno()));
            case EDQUOT -> new VolumeFullException(shown + ": the volume is full (its size limit is reached)");
            case ENOSPC -> new VolumeFullException(shown + ": no space is left for volumes on this node");
            case EISDIR -> new NotRegularFileException(shown, "is a directory");
            case Syscalls.ELOOP -> new FileSystemException(shown, null, "too many levels of symbolic links");
            case Syscalls.EXDEV -> new FileSystemException(shown, null, "crosses a mount point");
            default -> new FileSystemException(shown, null, Syscalls.strerror(e.errno()));
        };
    }

    long uid() {
        return uid;
    }

    long gid() {
        return gid;
    }

    private Fd openRoot() throws IOException {
        try {
            return Fd.openTrustedDirectory(root);
        } catch (SyscallException e) {
            throw new NoSuchFileException("/", null, "the volume's directory cannot be opened: "
                    + Syscalls.strerror(e.errno()));
        }
    }

    private static Fd openParent(Fd volume, LogicalPath target) throws IOException {
        try {
            return volume.resolve(target.parent(), O_PATH | O_DIRECTORY);
        } catch (SyscallException e) {
            throw e.is(ENOENT) ? new NoSuchFileException(target.toString(), null,
                    "parent directory " + target.parent() + " does not exist") : translate(e, target.parent());
        }
    }

    private void requireWritable(LogicalPath path) throws AccessDeniedException {
        if (readOnly) {
            throw new AccessDeniedException(path.toString(), null, "the volume is read-only");
        }
    }

    private static Syscalls.Stat lstatOrNull(Fd parent, byte[] name, LogicalPath path) throws IOException {
        try {
            return parent.lstat(name);
        } catch (SyscallException e) {
            if (e.is(ENOENT)) {
                return null;
            }
            throw translate(e, path);
        }
    }

    private static VolumeEntry describe(Fd parent, byte[] name, LogicalPath path) throws SyscallException {
        Syscalls.Stat stat = parent.lstat(name);
        String target = null;
        if (stat.isSymlink()) {
            try {
                target = new String(Syscalls.readlinkat(parent.number(), name), StandardCharsets.UTF_8);
            } catch (SyscallException e) {
                if (!e.is(EINVAL)) {
                    throw e;
                }
                stat = parent.lstat(name); // no longer a link: describe what replaced it
            }
        }
        return entry(path.name(), path, stat, target);
    }

    private static VolumeEntry entry(String name, LogicalPath path, Syscalls.Stat stat, String linkTarget) {
        VolumeEntry.Kind kind = switch (stat.type()) {
            case Syscalls.S_IFREG -> VolumeEntry.Kind.FILE;
            case Syscalls.S_IFDIR -> VolumeEntry.Kind.DIRECTORY;
            case Syscalls.S_IFLNK -> VolumeEntry.Kind.SYMLINK;
            default -> VolumeEntry.Kind.OTHER;
        };
        return new VolumeEntry(name, path.toString(), kind, stat.size(), stat.mode() & 07777, stat.modified(),
                stat.uid(), stat.gid(), kind == VolumeEntry.Kind.SYMLINK ? linkTarget : null);
    }

    private static long copy(InputStream content, Fd file, long maxBytes, LogicalPath path) throws IOException {
        byte[] chunk = new byte[COPY_BUFFER];
        long total = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(COPY_BUFFER);
            for (int n = content.read(chunk); n >= 0; n = content.read(chunk)) {
                if (total + n > maxBytes) {
                    throw new FileTooLargeException(path.toString(), maxBytes);
                }
                MemorySegment.copy(chunk, 0, buffer, ValueLayout.JAVA_BYTE, 0, n);
                Syscalls.writeFully(file.number(), buffer, n);
                total += n;
            }
        }
        return total;
    }

    private static byte[] temporaryName() {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        return (PARTIAL_PREFIX + HexFormat.of().formatHex(random)).getBytes(StandardCharsets.UTF_8);
    }

    private static LogicalPath join(LogicalPath base, LogicalPath rel) {
        var names = new ArrayList<>(base.names());
        names.addAll(rel.names());
        return new LogicalPath(names);
    }
}
