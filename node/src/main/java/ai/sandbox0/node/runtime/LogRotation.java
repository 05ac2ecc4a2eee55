package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Keeps a run's container log under a cap. Past it, the last {@code cap} bytes move to
 * {@code procd.log.1} (replacing the segment before) and the log starts again empty: tini writes it
 * with O_APPEND, so its next line lands at the new start. Both files sit on the run's own disk, so even
 * between two checks a process that floods the log can fill only that disk, never the host's.
 */
public final class LogRotation {

    private LogRotation() {
    }

    /** The segment a rotation keeps beside {@code log}. */
    public static Path rotated(Path log) {
        return log.resolveSibling(log.getFileName() + ".1");
    }

    /** Rotates {@code log} if it is over {@code cap} bytes; returns whether it did. */
    public static boolean rotateIfOver(Path log, long cap) throws IOException {
        long size;
        try {
            size = Files.size(log);
        } catch (NoSuchFileException e) {
            return false;
        }
        if (size <= cap) {
            return false;
        }
        Path rotated = rotated(log);
        Path tmp = rotated.resolveSibling(rotated.getFileName() + ".tmp");
        try (var in = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
                var out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            long end = in.size();
            long start = Math.max(0, end - cap);
            in.transferTo(start, end - start, out);
            // Lines written between the copy and here are lost, as with logrotate's copytruncate.
            in.truncate(0);
        }
        Files.move(tmp, rotated, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return true;
    }
}
