package ai.sandbox0.server.egress;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each sandbox's egress audit on disk: JSON lines in {@code <dir>/<sandbox id>/}, appended as connections
 * end. Bounded per sandbox: the lines go to {@code audit.jsonl} until it holds half the cap, which then becomes
 * {@code audit.1.jsonl} (the one before is dropped), so a sandbox keeps between half the cap and the cap of
 * its newest records. A line a crash cut short is skipped when read. Deleted with the sandbox.
 */
public final class EgressAuditLog {

    private static final Logger LOG = LoggerFactory.getLogger(EgressAuditLog.class);
    /** Server sandbox ids; anything else never names a directory here. */
    private static final Pattern SANDBOX_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final String CURRENT = "audit.jsonl";
    private static final String PREVIOUS = "audit.1.jsonl";
    public static final long DEFAULT_CAP_BYTES = 4L << 20;

    private final Path dir;
    private final long capBytes;
    // Appends and removals exclude reads: a reader never sees a rotation half done.
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Sandboxes deleted since start: a record that arrives late must not bring their audit back. */
    private final Set<String> removed = ConcurrentHashMap.newKeySet();
    /** Files whose end was checked since start (a crash may have cut their last line). */
    private final Set<Path> checked = ConcurrentHashMap.newKeySet();

    public EgressAuditLog(Path dir, long capBytes) {
        if (capBytes < 2048) {
            throw new IllegalArgumentException("an egress audit cap below 2 KiB keeps nothing: " + capBytes);
        }
        this.dir = dir;
        this.capBytes = capBytes;
    }

    /** Appends the sandbox's entries, oldest first. */
    public void append(String sandboxId, List<EgressAuditEntry> entries) throws IOException {
        if (entries.isEmpty() || !SANDBOX_ID.matcher(sandboxId).matches() || removed.contains(sandboxId)) {
            return;
        }
        var text = new StringBuilder();
        for (EgressAuditEntry e : entries) {
            try {
                text.append(Json.mapper().writeValueAsString(e)).append('\n');
            } catch (JsonProcessingException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        lock.writeLock().lock();
        try {
            if (removed.contains(sandboxId)) {
                return;
            }
            Path sandboxDir = dir.resolve(sandboxId);
            Files.createDirectories(sandboxDir);
            Path current = sandboxDir.resolve(CURRENT);
            long size = Files.exists(current) ? Files.size(current) : 0;
            if (size > 0 && size + bytes.length > capBytes / 2) {
                Files.move(current, sandboxDir.resolve(PREVIOUS), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                checked.remove(current);
                size = 0;
            }
            boolean cutShort = size > 0 && checked.add(current) && !endsWithNewline(current, size);
            checked.add(current);
            try (FileChannel out = FileChannel.open(current, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                if (cutShort) {
                    out.write(ByteBuffer.wrap(new byte[] {'\n'}));
                }
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static boolean endsWithNewline(Path file, long size) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            return in.read(last, size - 1) == 1 && last.get(0) == '\n';
        }
    }

    /** The sandbox's newest entries that {@code filter} keeps, newest first, at most {@code limit}. */
    public List<EgressAuditEntry> newest(String sandboxId, int limit, Predicate<EgressAuditEntry> filter) throws IOException {
        var found = new ArrayList<EgressAuditEntry>();
        if (!SANDBOX_ID.matcher(sandboxId).matches()) {
            return found;
        }
        lock.readLock().lock();
        try {
            Path sandboxDir = dir.resolve(sandboxId);
            for (String name : List.of(CURRENT, PREVIOUS)) {
                List<String> lines = lines(sandboxDir.resolve(name));
                for (int i = lines.size() - 1; i >= 0 && found.size() < limit; i--) {
                    EgressAuditEntry e = parse(lines.get(i));
                    if (e != null && filter.test(e)) {
                        found.add(e);
                    }
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        return found;
    }

    private static List<String> lines(Path file) throws IOException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Collections.emptyList();
        }
    }

    private static EgressAuditEntry parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            return Json.mapper().readValue(line, EgressAuditEntry.class);
        } catch (IOException e) {
            return null; // cut short by a crash
        }
    }

    /** Deletes the sandbox's audit; records that arrive for it later are not kept. */
    public void remove(String sandboxId) {
        if (!SANDBOX_ID.matcher(sandboxId).matches()) {
            return;
        }
        removed.add(sandboxId);
        lock.writeLock().lock();
        try {
            deleteDir(dir.resolve(sandboxId));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Deletes the audit of every sandbox {@code exists} denies (deleted while the server was down); returns how many. */
    public int retainOnly(Predicate<String> exists) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        var gone = new HashSet<String>();
        try (var dirs = Files.list(dir)) {
            dirs.map(p -> p.getFileName().toString()).filter(id -> !exists.test(id)).forEach(gone::add);
        }
        gone.forEach(id -> {
            lock.writeLock().lock();
            try {
                deleteDir(dir.resolve(id));
            } finally {
                lock.writeLock().unlock();
            }
        });
        return gone.size();
    }

    private static void deleteDir(Path sandboxDir) {
        try {
            for (String name : List.of(CURRENT, PREVIOUS)) {
                Files.deleteIfExists(sandboxDir.resolve(name));
            }
            Files.deleteIfExists(sandboxDir);
        } catch (IOException e) {
            LOG.warn("egress audit {} not deleted: {}", sandboxDir, e.getMessage());
        }
    }
}
