package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.Syscalls.AT_REMOVEDIR;
import static ai.sandbox0.node.volume.Syscalls.EISDIR;
import static ai.sandbox0.node.volume.Syscalls.ELOOP;
import static ai.sandbox0.node.volume.Syscalls.ENOENT;
import static ai.sandbox0.node.volume.Syscalls.ENOTDIR;
import static ai.sandbox0.node.volume.Syscalls.ENOTEMPTY;
import static ai.sandbox0.node.volume.Syscalls.O_DIRECTORY;
import static ai.sandbox0.node.volume.Syscalls.O_NONBLOCK;
import static ai.sandbox0.node.volume.Syscalls.O_RDONLY;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.util.ArrayDeque;
import java.util.HashSet;

/**
 * Walks a directory tree a sandbox may be changing at the same time, by descriptors only: each
 * directory is opened from its parent's descriptor as one plain name that must not be a link
 * ({@link Fd#child}), so a directory swapped for a link to {@code /} mid-walk is found as a link
 * and unlinked or skipped, never entered. The walk keeps one descriptor per level and so refuses
 * trees deeper than {@link #MAX_DEPTH}, rather than climbing back with {@code ..} (which a rename
 * could turn into a way out).
 */
final class Subtree {

    static final int MAX_DEPTH = 1024;
    /** A directory is read again while its last pass found something (a writer adding files). */
    private static final int MAX_PASSES = 16;
    private static final int DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NONBLOCK;
    private static final long BUFFER = 32 * 1024;

    private Subtree() {
    }

    /**
     * Removes the directory {@code name} of {@code parent} with everything in it. Links inside are
     * removed, not followed. {@code shown} names it in errors.
     */
    static void remove(Fd parent, byte[] name, LogicalPath shown) throws IOException {
        var stack = new ArrayDeque<Level>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(BUFFER);
            Fd top;
            try {
                top = parent.child(name, DIRECTORY_FLAGS);
            } catch (SyscallException e) {
                if (e.is(ENOTDIR) || e.is(ELOOP)) {
                    Syscalls.unlinkat(parent.number(), name, 0); // no longer a directory: just the entry
                    return;
                }
                throw e;
            }
            stack.push(new Level(top, name, buffer));
            while (!stack.isEmpty()) {
                Level level = stack.peek();
                byte[] entry = level.entries.next();
                if (entry != null) {
                    level.found = true;
                    try {
                        Syscalls.unlinkat(level.dir.number(), entry, 0);
                    } catch (SyscallException e) {
                        if (e.is(EISDIR)) {
                            descend(stack, level, entry, buffer, shown);
                        } else if (!e.is(ENOENT)) {
                            throw e;
                        }
                    }
                    continue;
                }
                if (level.found && level.passes < MAX_PASSES) {
                    level.passes++;
                    level.found = false;
                    level.entries.rewind();
                    continue;
                }
                stack.pop();
                level.dir.close();
                int above = stack.isEmpty() ? parent.number() : stack.peek().dir.number();
                try {
                    Syscalls.unlinkat(above, level.name, AT_REMOVEDIR);
                } catch (SyscallException e) {
                    if (e.is(ENOTEMPTY) && stack.isEmpty()) {
                        throw new DirectoryNotEmptyException(shown + " (something keeps adding entries to it)");
                    }
                    if (!e.is(ENOENT) && !e.is(ENOTEMPTY)) {
                        throw e; // ENOTEMPTY below the top: the level above finds it again and retries
                    }
                }
            }
        } finally {
            stack.forEach(level -> level.dir.close());
        }
    }

    private static void descend(ArrayDeque<Level> stack, Level level, byte[] entry, MemorySegment buffer,
            LogicalPath shown) throws IOException {
        if (stack.size() >= MAX_DEPTH) {
            throw new FileSystemException(shown.toString(), null,
                    "directory tree deeper than " + MAX_DEPTH + " levels");
        }
        try {
            stack.push(new Level(level.dir.child(entry, DIRECTORY_FLAGS), entry, buffer));
        } catch (SyscallException e) {
            if (!e.is(ENOENT) && !e.is(ENOTDIR) && !e.is(ELOOP)) {
                throw e;
            } // replaced meanwhile: the next pass over this level sees what is there now
        }
    }

    /** The sum of the sizes of the regular files under {@code root}; a hard-linked inode counts once. */
    static long regularBytes(Fd root, LogicalPath shown) throws IOException {
        var stack = new ArrayDeque<Level>();
        var linked = new HashSet<Inode>();
        long total = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(BUFFER);
            stack.push(new Level(root.resolve(LogicalPath.ROOT, DIRECTORY_FLAGS), new byte[0], buffer));
            while (!stack.isEmpty()) {
                Level level = stack.peek();
                byte[] entry = level.entries.next();
                if (entry == null) {
                    stack.pop().dir.close();
                    continue;
                }
                Syscalls.Stat stat;
                try {
                    stat = level.dir.lstat(entry);
                } catch (SyscallException e) {
                    if (e.is(ENOENT)) {
                        continue;
                    }
                    throw e;
                }
                if (stat.isRegular()) {
                    if (stat.nlink() <= 1 || linked.add(new Inode(stat.device(), stat.inode()))) {
                        total += stat.size();
                    }
                } else if (stat.isDirectory()) {
                    descend(stack, level, entry, buffer, shown);
                }
            }
            return total;
        } finally {
            stack.forEach(level -> level.dir.close());
        }
    }

    private record Inode(long device, long number) {
    }

    private static final class Level {
        final Fd dir;
        final byte[] name;
        final DirectoryEntries entries;
        int passes;
        boolean found;

        Level(Fd dir, byte[] name, MemorySegment buffer) {
            this.dir = dir;
            this.name = name;
            this.entries = new DirectoryEntries(dir, buffer);
        }
    }
}
