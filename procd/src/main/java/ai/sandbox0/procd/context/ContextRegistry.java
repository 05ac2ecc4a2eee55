package ai.sandbox0.procd.context;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.CreateContextRequest;
import ai.sandbox0.api.context.PTYSize;
import ai.sandbox0.api.context.ProcessType;
import ai.sandbox0.procd.Log;
import ai.sandbox0.procd.ProcdException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** All contexts of this sandbox, their creation rules (§5.2) and the TTL / idle / finished reaper. */
public final class ContextRegistry implements AutoCloseable {

    static final int DEFAULT_ROWS = 50;
    static final int DEFAULT_COLS = 1000; // wide: readline's horizontal scrolling mangles long input lines

    private final ContextRuntime rt;
    private final Map<String, Context> contexts = new ConcurrentHashMap<>();
    private final Thread reaper;

    public ContextRegistry(ContextRuntime rt) {
        this.rt = rt;
        this.reaper = Thread.ofVirtual().name("procd-reaper").start(this::reap);
    }

    /** Creates and starts a context; returns the response and whether it is final (exited). */
    public ContextResponse create(CreateContextRequest req) {
        ContextSpec spec = validate(req);
        String id = newId();
        Context context = spec.type() == ProcessType.REPL
                ? new ReplContext(id, spec, rt)
                : new CmdContext(id, spec, rt);
        context.whenRunChanges(this::wakeReaper);
        contexts.put(id, context);
        try {
            if (context instanceof CmdContext cmd && Boolean.TRUE.equals(req.waitUntilDone())) {
                return cmd.startAndWait();
            }
            context.start();
        } catch (ProcdException e) {
            if (e.code() == ErrorCode.CREATE_FAILED) {
                contexts.remove(id);
            }
            throw e;
        } finally {
            wakeReaper(); // its ttl or idle timeout, if any, runs from now
        }
        Log.debug("context " + id + " started: " + context.alias());
        return context.response(null);
    }

    public Context get(String id) {
        Context c = id == null ? null : contexts.get(id);
        if (c == null) {
            throw new ProcdException(ErrorCode.CONTEXT_NOT_FOUND, "context not found: " + id);
        }
        return c;
    }

    public List<ContextResponse> list() {
        return contexts.values().stream()
                .map(c -> c.response(null))
                .sorted(Comparator.comparing(ContextResponse::createdAt).thenComparing(ContextResponse::id))
                .toList();
    }

    public void delete(String id) {
        Context c = get(id);
        contexts.remove(id);
        c.destroy();
    }

    private ContextSpec validate(CreateContextRequest req) {
        if (req == null) {
            throw ProcdException.invalid("request body is required");
        }
        ProcessType type = req.type() != null ? req.type()
                : req.cmd() != null && req.repl() == null ? ProcessType.CMD : ProcessType.REPL;
        if (req.repl() != null && type != ProcessType.REPL) {
            throw ProcdException.invalid("repl is only valid for repl contexts");
        }
        if (req.cmd() != null && type != ProcessType.CMD) {
            throw ProcdException.invalid("cmd is only valid for cmd contexts");
        }
        int ttl = nonNegative(req.ttlSec(), "ttl_sec");
        int idle = nonNegative(req.idleTimeoutSec(), "idle_timeout_sec");
        PTYSize size = req.ptySize();
        if (size != null && ((size.rows() != null && size.rows() < 0) || (size.cols() != null && size.cols() < 0))) {
            throw ProcdException.invalid("pty_size rows and cols must be >= 0");
        }
        int rows = size != null && size.rows() != null && size.rows() > 0 ? size.rows() : DEFAULT_ROWS;
        int cols = size != null && size.cols() != null && size.cols() > 0 ? size.cols() : DEFAULT_COLS;
        Map<String, String> env = req.envVars() == null ? Map.of() : Map.copyOf(req.envVars());
        for (String key : env.keySet()) {
            if (key.isEmpty() || key.contains("=") || key.indexOf('\0') >= 0) {
                throw ProcdException.invalid("invalid env_vars name: " + key);
            }
        }
        String cwd = cwd(req.cwd());
        if (type == ProcessType.REPL) {
            ReplProfile profile = ReplConfigs.resolve(req.repl());
            String input = req.repl() == null ? null : req.repl().input();
            return new ContextSpec(type, profile, null, cwd, env, rows, cols, true, ttl, idle, input);
        }
        List<String> command = req.cmd() == null ? null : req.cmd().command();
        if (command == null || command.isEmpty() || command.getFirst() == null || command.getFirst().isBlank()) {
            throw ProcdException.invalid("cmd.command is required");
        }
        if (command.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
            throw ProcdException.invalid("cmd.command must not contain null or NUL");
        }
        return new ContextSpec(type, null, List.copyOf(command), cwd, env, rows, cols, size != null, ttl, idle, null);
    }

    private String cwd(String requested) {
        Path dir = requested == null || requested.isBlank() ? rt.workspace() : rt.workspace().resolve(requested);
        dir = dir.normalize();
        if (!Files.isDirectory(dir)) {
            throw ProcdException.invalid("cwd is not a directory: " + (requested == null ? dir : requested));
        }
        return dir.toString();
    }

    private static int nonNegative(Integer value, String name) {
        if (value == null) {
            return 0;
        }
        if (value < 0) {
            throw ProcdException.invalid(name + " must be >= 0");
        }
        return value;
    }

    private String newId() {
        while (true) {
            byte[] b = new byte[4];
            ThreadLocalRandom.current().nextBytes(b);
            String id = "ctx-" + HexFormat.of().formatHex(b);
            if (!contexts.containsKey(id)) {
                return id;
            }
        }
    }

    /**
     * Sleeps until the next context can expire or a finished one is due to be forgotten, and parks for
     * good while none can: an idle sandbox's procd must not wake up to find nothing to do. Creating,
     * restarting and finishing a context wake it to look again.
     */
    private void reap() {
        while (!Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            for (Context c : contexts.values()) {
                if (c.expired(now)) {
                    Log.info("context " + c.id() + " reached its ttl or idle timeout: killing its process");
                    c.destroy();
                }
            }
            collectFinished(now);
            long next = Long.MAX_VALUE;
            for (Context c : contexts.values()) {
                next = Math.min(next, c.nextDeadline(rt.finishedRetentionSec()));
            }
            long wait = next - System.nanoTime();
            if (next == Long.MAX_VALUE) {
                LockSupport.park(this);
            } else {
                // Past due: a killed process has not exited yet; its exit wakes the reaper, this is the backstop.
                LockSupport.parkNanos(this, wait > 0 ? wait : TimeUnit.SECONDS.toNanos(1));
            }
        }
    }

    /** Something may now expire sooner than the reaper is waiting for. */
    void wakeReaper() {
        LockSupport.unpark(reaper);
    }

    /** Finished contexts are kept for {@code finishedRetentionSec} and at most {@code maxFinished} of them. */
    private void collectFinished(long now) {
        List<Context> finished = contexts.values().stream()
                .filter(c -> c.finishedAt() != 0 && c.run() != null && c.run().exited())
                .sorted(Comparator.comparingLong(Context::finishedAt))
                .toList();
        int excess = finished.size() - rt.maxFinished();
        for (Context c : finished) {
            boolean old = rt.finishedRetentionSec() > 0
                    && now - c.finishedAt() >= TimeUnit.SECONDS.toNanos(rt.finishedRetentionSec());
            if (excess-- > 0 || old) {
                contexts.remove(c.id(), c);
            }
        }
    }

    @Override
    public void close() {
        reaper.interrupt();
        contexts.values().forEach(Context::destroy);
    }
}
