package ai.sandbox0.node;

import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a stopped run's container log, kept under a name of the caller's (the sandbox id) after
 * the run is gone: what {@code previous} logs show. One file per name, replaced by the next run's.
 */
final class KeptLogs {

    private static final Logger log = LoggerFactory.getLogger(KeptLogs.class);
    /** How much of a checkpointed run's container log outlives the run. */
    static final int KEPT_LOG_BYTES = 2 * 1024 * 1024;

    private final Path dir;

    KeptLogs(Path dir) {
        this.dir = dir;
    }

    /** Keeps the last {@link #KEPT_LOG_BYTES} of {@code from} as {@code name}; a missing log keeps nothing. */
    void keep(Path from, String name) throws SetupException {
        Path to = path(name);
        try {
            Files.createDirectories(dir);
            Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
            try (var in = FileChannel.open(from);
                    var out = FileChannel.open(tmp, StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                long start = Math.max(0, in.size() - KEPT_LOG_BYTES);
                in.transferTo(start, in.size() - start, out);
            }
            Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException e) {
            // the run left no log
        } catch (IOException e) {
            throw new SetupException(Step.CHECKPOINT, name + ": cannot keep its log: " + e.getMessage(), e);
        }
    }

    /** The kept log of {@code name} (may not exist). */
    Path path(String name) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]*")) {
            throw new IllegalArgumentException("not a log name: " + name);
        }
        return dir.resolve(name + ".log");
    }

    void forget(String name) {
        try {
            Files.deleteIfExists(path(name));
        } catch (IOException e) {
            log.warn("cannot remove the kept log {}: {}", name, e.getMessage());
        }
    }
}
