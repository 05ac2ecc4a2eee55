package ai.sandbox0.server.sandbox;

import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.ClientSocket;
import ai.sandbox0.server.http.Reply;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /api/v1/sandboxes/{id}/logs} (spec §2.4): the procd container log of the current run as
 * text, bounded by {@code tail_lines} (applied first) then {@code since_seconds} and {@code limit_bytes},
 * or followed as it grows; with {@code previous=true}, the kept end of the log of the run last paused.
 * procd stamps its log lines with an RFC 3339 instant; lines without one (tini, the JVM, procd's ready
 * line) take the time of the line before, or are kept by {@code since_seconds} when no line before had
 * one.
 */
public final class SandboxLogs {

    private static final String CONTAINER = "procd";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final int MAX_READ = 8 * 1024 * 1024;

    private final SandboxManager sandboxes;
    private final SandboxHost host;
    private final RunLogs runLogs;
    private final Clock clock;
    /** Follow streams open now: each holds a virtual thread and polls its log file. */
    private final AtomicInteger follows;

    public SandboxLogs(SandboxManager sandboxes, SandboxHost host, RunLogs runLogs, Clock clock, MeterRegistry registry) {
        this.sandboxes = sandboxes;
        this.host = host;
        this.runLogs = runLogs;
        this.clock = clock;
        this.follows = registry.gauge("sandbox.log.follows", new AtomicInteger());
    }

    /** The query of a logs request, validated with upstream's bounds. */
    record Query(int tailLines, int limitBytes, boolean follow, boolean previous, boolean timestamps, Integer sinceSeconds) {

        static Query of(Call call) {
            String container = call.query("container");
            if (container != null && !container.isBlank() && !container.equals(CONTAINER)) {
                throw ApiException.badRequest("unknown container \"" + container + "\": sandboxes have one, procd");
            }
            return new Query(
                    intParameter(call, "tail_lines", 200, 1, 5000),
                    intParameter(call, "limit_bytes", 1024 * 1024, 1, 8 * 1024 * 1024),
                    booleanParameter(call, "follow"),
                    booleanParameter(call, "previous"),
                    booleanParameter(call, "timestamps"),
                    call.query("since_seconds") == null ? null : intParameter(call, "since_seconds", 0, 1, Integer.MAX_VALUE));
        }
    }

    public Reply logs(Call call) {
        Query query = Query.of(call);
        Principal caller = call.principal();
        SandboxRecord sandbox = sandboxes.visible(caller, call.pathParam("id"));
        if (query.previous()) {
            return previous(sandbox, query);
        }
        var headers = headers(sandbox, sandbox.nodeSandboxId() == null ? "" : sandbox.nodeSandboxId(), false);
        Path log = sandbox.nodeSandboxId() == null ? null : runLogs.current(sandbox.nodeSandboxId());
        if (log == null || !Files.isRegularFile(log)) {
            return new Reply.Stream(200, TEXT, headers, InputStream.nullInputStream());
        }
        try {
            long end = Files.size(log);
            byte[] snapshot = render(withRotated(log, readTail(log, end)), query).getBytes(StandardCharsets.UTF_8);
            InputStream body = new ByteArrayInputStream(snapshot);
            if (query.follow()) {
                String nodeId = sandbox.nodeSandboxId();
                body = new SequenceInputStream(body,
                        new Follow(log, end, () -> host.alive(nodeId), call.clientSocket(), follows));
            }
            return new Reply.Stream(200, TEXT, headers, body);
        } catch (IOException e) {
            throw ApiException.unavailable("sandbox log is not readable: " + e.getMessage());
        }
    }

    /**
     * {@code previous=true}: the end of the container log of the run the sandbox last paused (kept when
     * it was checkpointed; a resume starts a new run). That run is over: nothing to follow.
     */
    private Reply previous(SandboxRecord sandbox, Query query) {
        Path log = runLogs.previous(sandbox.id());
        try {
            byte[] text = render(readTail(log, Files.size(log)), query).getBytes(StandardCharsets.UTF_8);
            return new Reply.Stream(200, TEXT, headers(sandbox, "", true), new ByteArrayInputStream(text));
        } catch (NoSuchFileException e) {
            throw ApiException.notFound("sandbox " + sandbox.id() + " has no previous run: its log is kept once it is paused");
        } catch (IOException e) {
            throw ApiException.unavailable("sandbox log is not readable: " + e.getMessage());
        }
    }

    private static Map<String, String> headers(SandboxRecord sandbox, String podName, boolean previous) {
        return Map.of("X-Sandbox-ID", sandbox.id(), "X-Sandbox-Pod-Name", podName,
                "X-Sandbox-Log-Container", CONTAINER, "X-Sandbox-Log-Previous", Boolean.toString(previous));
    }

    /**
     * A log rotated past its cap keeps its last part beside it ({@code procd.log.1}): a snapshot shows
     * that part too, before what the log holds now, so a rotation does not empty what a caller sees.
     */
    private static String withRotated(Path log, String current) throws IOException {
        Path rotated = log.resolveSibling(log.getFileName() + ".1");
        if (current.length() >= MAX_READ || !Files.isRegularFile(rotated)) {
            return current;
        }
        try {
            String older = readTail(rotated, Files.size(rotated));
            int room = MAX_READ - current.length();
            if (older.length() > room) {
                older = older.substring(older.indexOf('\n', older.length() - room) + 1);
            }
            return older.isEmpty() || older.endsWith("\n") ? older + current : older + "\n" + current;
        } catch (NoSuchFileException e) {
            return current;
        }
    }

    private static String readTail(Path log, long end) throws IOException {
        try (var file = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(0, end - MAX_READ);
            file.seek(start);
            byte[] bytes = new byte[(int) (end - start)];
            file.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            return start > 0 && text.indexOf('\n') >= 0 ? text.substring(text.indexOf('\n') + 1) : text;
        }
    }

    private String render(String text, Query query) {
        List<String> lines = text.isEmpty() ? List.of() : List.of(text.split("\n", -1));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) {
            lines = lines.subList(0, lines.size() - 1);
        }
        lines = lines.subList(Math.max(0, lines.size() - query.tailLines()), lines.size());
        Instant since = query.sinceSeconds() == null ? null : clock.instant().minusSeconds(query.sinceSeconds());
        Deque<String> kept = new ArrayDeque<>();
        Instant current = null;
        for (String line : lines) {
            Instant stamp = stampOf(line);
            if (stamp != null) {
                current = stamp;
            }
            // A line with no known time yet (before procd's first stamped line) is kept: it may be recent.
            if (since != null && current != null && current.isBefore(since)) {
                continue;
            }
            kept.add(query.timestamps() || stamp == null ? line : line.substring(line.indexOf(' ') + 1));
        }
        var out = new StringBuilder();
        int bytes = 0;
        // limit_bytes keeps the newest lines that fit.
        var reversed = kept.descendingIterator();
        Deque<String> fitting = new ArrayDeque<>();
        while (reversed.hasNext()) {
            String line = reversed.next();
            int size = line.getBytes(StandardCharsets.UTF_8).length + 1;
            if (bytes + size > query.limitBytes()) {
                break;
            }
            bytes += size;
            fitting.addFirst(line);
        }
        fitting.forEach(line -> out.append(line).append('\n'));
        return out.toString();
    }

    private static Instant stampOf(String line) {
        int space = line.indexOf(' ');
        if (space < 20 || space > 40 || !Character.isDigit(line.charAt(0))) {
            return null;
        }
        try {
            return Instant.parse(line.substring(0, space));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static int intParameter(Call call, String name, int fallback, int min, int max) {
        String value = call.query(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        int parsed;
        try {
            parsed = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid " + name + " parameter: must be an integer");
        }
        if (parsed < min || parsed > max) {
            throw ApiException.badRequest("invalid " + name + " parameter: must be between " + min + " and " + max);
        }
        return parsed;
    }

    private static boolean booleanParameter(Call call, String name) {
        String value = call.query(name);
        if (value == null || value.isBlank()) {
            return false;
        }
        return switch (value.strip()) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.badRequest("invalid " + name + " parameter: must be true or false");
        };
    }

    /**
     * The log from {@code offset} on, as it grows, until the run ends or the client hangs up (noticed
     * within a poll interval even while the log is quiet).
     */
    private static final class Follow extends InputStream {

        private static final long POLL_MILLIS = 200;

        private final Path log;
        private final BooleanSupplier alive;
        private final ClientSocket client;
        private final AtomicInteger open;
        private RandomAccessFile file; // opened at the first read, kept until close
        private long offset;
        private boolean closed;

        Follow(Path log, long offset, BooleanSupplier alive, ClientSocket client, AtomicInteger open) {
            this.log = log;
            this.offset = offset;
            this.alive = alive;
            this.client = client;
            this.open = open;
            open.incrementAndGet();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                client.close();
                open.decrementAndGet();
                if (file != null) {
                    try {
                        file.close();
                    } catch (IOException ignored) {
                        // read-only
                    }
                }
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int from, int length) throws IOException {
            while (true) {
                if (!Files.isRegularFile(log)) {
                    return -1;
                }
                if (file == null) {
                    file = new RandomAccessFile(log.toFile(), "r");
                }
                long size = file.length();
                if (size < offset) {
                    offset = 0; // truncated under us (as tail -F does: read it again from the start)
                }
                if (size > offset) {
                    file.seek(offset);
                    int n = file.read(buffer, from, (int) Math.min(length, size - offset));
                    offset += n;
                    return n;
                }
                if (!alive.getAsBoolean()) {
                    return -1;
                }
                try {
                    if (client.awaitGone(POLL_MILLIS)) {
                        return -1;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
        }
    }
}
