package ai.sandbox0.node.volume;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;

/**
 * The names in an open directory, read in batches with {@code getdents64}; {@code .} and {@code ..}
 * left out. The native buffer may be shared by several readers: each copies a batch out at once.
 */
final class DirectoryEntries {

    private final Fd directory;
    private final MemorySegment buffer;
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private boolean ended;

    DirectoryEntries(Fd directory, MemorySegment buffer) {
        this.directory = directory;
        this.buffer = buffer;
    }

    /** The next name, or null at the end. */
    byte[] next() throws SyscallException {
        while (pending.isEmpty()) {
            if (ended) {
                return null;
            }
            long filled = Syscalls.getdents64(directory.number(), buffer);
            if (filled == 0) {
                ended = true;
                return null;
            }
            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            long offset = 0;
            while (offset < filled) {
                int length = Short.toUnsignedInt(buffer.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset + 16));
                long name = offset + 19;
                long end = name;
                while (end < offset + length && buffer.get(ValueLayout.JAVA_BYTE, end) != 0) {
                    end++;
                }
                byte[] bytes = buffer.asSlice(name, end - name).toArray(ValueLayout.JAVA_BYTE);
                if (!isDotOrDotDot(bytes)) {
                    pending.add(bytes);
                }
                offset += length;
            }
        }
        return pending.poll();
    }

    /** From the first entry again (what was added or skipped meanwhile shows up). */
    void rewind() throws SyscallException {
        Syscalls.rewind(directory.number());
        pending.clear();
        ended = false;
    }

    private static boolean isDotOrDotDot(byte[] name) {
        return (name.length == 1 && name[0] == '.') || (name.length == 2 && name[0] == '.' && name[1] == '.');
    }
}
