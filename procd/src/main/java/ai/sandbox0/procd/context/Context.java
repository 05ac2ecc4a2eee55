package ai.sandbox0.procd.context;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.context.ContextExecResponse;
import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.ContextServerFrame;
import ai.sandbox0.api.context.ContextStatsResponse;
import ai.sandbox0.api.context.OutputSource;
import ai.sandbox0.api.context.ProcessState;
import ai.sandbox0.api.context.ProcessType;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.sys.ExitStatus;
import ai.sandbox0.procd.sys.SysException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A context: a process started from a {@link ContextSpec}, its output log, and the operations of §5.
 * A REPL and a command differ in how output is interpreted and when an exec is complete.
 */
public abstract sealed class Context permits ReplContext, CmdContext {

    protected final String id;
    protected final ContextSpec spec;
    protected final ContextRuntime rt;
    private final Instant createdAt = Instant.now();
    private final ReentrantLock lifecycle = new ReentrantLock();
    private final ReentrantLock execLock = new ReentrantLock(true);
    protected volatile Run current;
    protected volatile ExecCapture capture;
    private volatile long lastActivity = System.nanoTime();
    /** A resize went to the terminal since the last exec: the REPL may redraw its prompt unasked. */
    protected volatile boolean redrawPending;
    private volatile long finishedAt;
    private volatile Runnable runChanged = () -> { };

    /** A process run with its log: what attachers follow. */
    public record Run(ProcessRun process, OutputLog log) {
        public boolean exited() {
            return process.exit() != null;
        }
    }

    Context(String id, ContextSpec spec, ContextRuntime rt) {
        this.id = id;
        this.spec = spec;
        this.rt = rt;
    }

    public String id() {
        return id;
    }

    public Run run() {
        return current;
    }

    /** Starts the first process; spawn failures surface as create_failed. */
    void start() {
        lifecycle.lock();
        try {
            current = launch();
        } finally {
            lifecycle.unlock();
        }
    }

    /** Called before each spawn, once the previous process (if any) has exited. */
    protected void beforeLaunch() {
    }

    private Run launch() {
        beforeLaunch();
        OutputLog log = new OutputLog(rt.outputMaxChars(), rt.outputMaxFrames());
        Map<String, String> env = environment();
        String exe = EnvLayers.lookPath(argv().getFirst(), env, spec.cwd());
        if (exe == null) {
            throw new ProcdException(ErrorCode.CREATE_FAILED,
                    "exec: \"" + argv().getFirst() + "\": executable file not found in $PATH");
        }
        ProcessRun.Sink sink = new ProcessRun.Sink() {
            @Override
            public void onText(OutputSource source, String text) {
                touch();
                ExecCapture c = capture;
                if (c != null) {
                    c.onText(text);
                }
                output(log, source, text);
            }

            @Override
            public void onExit(ExitStatus status) {
                ExecCapture c = capture;
                if (c != null) {
                    c.onExit(status);
                }
                finishedAt = System.nanoTime();
                log.end(ContextServerFrame.Done.exit(status.exitCode(), ProcessState.ofExitCode(status.exitCode())));
                exited(status);
                runChanged.run();
            }
        };
        try {
            List<String> envp = EnvLayers.envp(env);
            ProcessRun process = spec.terminal()
                    ? ProcessRun.onTerminal(rt.poller(), exe, argv(), envp, spec.cwd(), spec.rows(), spec.cols(), sink)
                    : ProcessRun.onPipes(rt.poller(), exe, argv(), envp, spec.cwd(), sink);
            return new Run(process, log);
        } catch (SysException e) {
            throw new ProcdException(ErrorCode.CREATE_FAILED, "failed to start " + argv().getFirst() + ": "
                    + e.getMessage());
        }
    }

    /** The argv to run (the first element is looked up in the child's PATH). */
    protected abstract List<String> argv();

    protected abstract Map<String, String> environment();

    /** Interprets output text of the current run (poll thread). */
    protected abstract void output(OutputLog log, OutputSource source, String text);

    /** Called after the process has exited and its final frame is logged (poll thread). */
    protected void exited(ExitStatus status) {
    }

    /** Called on a fresh run after start and restart, on the request thread. */
    protected void started(long deadlineNanos) {
    }

    public abstract ContextExecResponse exec(String data);

    /** Kills the old process (waiting for it, so its attachers see its done) and starts a new one. */
    public ContextResponse restart() {
        lifecycle.lock();
        try {
            Run old = current;
            if (old != null && !old.exited()) {
                old.process().kill();
                old.process().awaitExit(5_000);
            }
            current = launch();
            finishedAt = 0;
            touch();
        } finally {
            lifecycle.unlock();
        }
        runChanged.run(); // the new run's ttl starts now: the reaper may have been parked
        started(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rt.execTimeoutMillis()));
        return response(null);
    }

    /** Kills the process; the registry forgets the context. */
    void destroy() {
        Run r = current;
        if (r != null && !r.exited()) {
            r.process().kill();
        }
    }

    public void input(String data, String requestId) {
        Run r = liveRun(true);
        if (requestId != null) {
            pending(requestId);
        }
        write(r, data);
    }

    /** Where a relayed input's request id is kept until the REPL's prompt returns. */
    protected void pending(String requestId) {
    }

    protected void write(Run r, String data) {
        touch();
        switch (r.process().write(data.getBytes(StandardCharsets.UTF_8), rt.writeTimeoutMillis())) {
            case WRITTEN -> {
            }
            case BUFFER_FULL -> throw new ProcdException(ErrorCode.INPUT_BUFFER_FULL,
                    "input buffer is full: the process is not reading its input");
            case FINISHED -> throw new ProcdException(ErrorCode.PROCESS_FINISHED, "process has finished");
        }
    }

    public void resize(int rows, int cols) {
        Run r = liveRun(false);
        if (!r.process().hasTerminal()) {
            throw new ProcdException(ErrorCode.PTY_UNAVAILABLE, "context has no pty");
        }
        if (!r.process().resize(rows, cols)) {
            throw new ProcdException(ErrorCode.PROCESS_NOT_RUNNING, "process is not running");
        }
        redrawPending = true;
    }

    public void signal(int sig) {
        Run r = liveRun(false);
        if (!r.process().signal(sig)) {
            throw new ProcdException(ErrorCode.PROCESS_NOT_RUNNING, "process is not running");
        }
    }

    /**
     * The current run if its process is alive; otherwise 410 process_finished (input and exec on an
     * exited process) or 409 process_not_running (the rest).
     */
    protected Run liveRun(boolean finishedIsGone) {
        Run r = current;
        if (r == null) {
            throw new ProcdException(ErrorCode.PROCESS_NOT_RUNNING, "process is not running");
        }
        if (r.exited()) {
            throw finishedIsGone
                    ? new ProcdException(ErrorCode.PROCESS_FINISHED, "process has finished")
                    : new ProcdException(ErrorCode.PROCESS_NOT_RUNNING, "process is not running");
        }
        return r;
    }

    protected ContextExecResponse execResult(String output, ExecCapture c) {
        ExitStatus exit = c.exit();
        return exit == null
                ? new ContextExecResponse(output, null, null)
                : new ContextExecResponse(output, exit.exitCode(), ProcessState.ofExitCode(exit.exitCode()));
    }

    protected ProcdException timeout() {
        return new ProcdException(ErrorCode.EXEC_TIMEOUT,
                "execution timed out after " + rt.execTimeoutMillis() / 1000 + "s (the process keeps running)");
    }

    protected long deadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rt.execTimeoutMillis());
    }

    /** Runs {@code body} holding the exec lock, which must be had by {@code deadline} (else a 408): one exec at a time. */
    protected final <T> T underExecLock(long deadline, Supplier<T> body) {
        try {
            if (!execLock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                throw timeout();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw timeout();
        }
        try {
            return body.get();
        } finally {
            execLock.unlock();
        }
    }

    /** Routes the output to {@code c} while {@code send} runs and until {@code c} is complete or {@code deadline} (a 408). */
    protected final ExecCapture captured(ExecCapture c, long deadline, Runnable send) {
        capture = c;
        try {
            send.run();
            if (c.await(deadline) == ExecCapture.Outcome.TIMEOUT) {
                throw timeout();
            }
            return c;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw timeout();
        } finally {
            capture = null;
        }
    }

    protected void touch() {
        lastActivity = System.nanoTime();
    }

    long lastActivity() {
        return lastActivity;
    }

    long finishedAt() {
        return finishedAt;
    }

    public abstract String alias();

    public ContextResponse response(String outputRaw) {
        Run r = current;
        ExitStatus exit = r == null ? null : r.process().exit();
        return new ContextResponse(id, spec.type(), alias(), spec.type() == ProcessType.CMD ? spec.command() : argv(),
                spec.cwd(), spec.envVars(), r != null && exit == null, false, createdAt, outputRaw,
                exit == null ? null : exit.exitCode(), exit == null ? null : ProcessState.ofExitCode(exit.exitCode()));
    }

    public ContextStatsResponse stats() {
        Run r = current;
        boolean running = r != null && !r.exited();
        var usage = r == null ? UsageProbe.none() : new UsageProbe(rt.proc(), rt.cgroup()).of(r.process().pid(), running);
        return new ContextStatsResponse(id, spec.type(), alias(), running, false, usage);
    }

    /** Told after each run's exit and each restart: this context's next deadline may have moved. */
    void whenRunChanges(Runnable r) {
        runChanged = r;
    }

    /**
     * When this context next needs the reaper ({@link System#nanoTime} scale): its run's ttl or idle
     * deadline, or once finished, the end of its retention; {@link Long#MAX_VALUE} for never. Activity
     * only moves the idle deadline later, so waking at an earlier one just means looking again.
     */
    long nextDeadline(int finishedRetentionSec) {
        Run r = current;
        if (r == null) {
            return Long.MAX_VALUE;
        }
        if (r.exited()) {
            long at = finishedAt;
            return at != 0 && finishedRetentionSec > 0 ? at + TimeUnit.SECONDS.toNanos(finishedRetentionSec) : Long.MAX_VALUE;
        }
        int ttl = spec.ttlSec() > 0 ? spec.ttlSec() : rt.defaultTtlSec();
        int idle = spec.idleTimeoutSec() > 0 ? spec.idleTimeoutSec() : rt.defaultIdleTimeoutSec();
        long next = Long.MAX_VALUE;
        if (ttl > 0) {
            next = r.process().startedNanos() + TimeUnit.SECONDS.toNanos(ttl);
        }
        if (idle > 0) {
            next = Math.min(next, lastActivity + TimeUnit.SECONDS.toNanos(idle));
        }
        return next;
    }

    /** TTL and idle reaping (§5.1); a reaped context stays listed with its exit until deleted. */
    boolean expired(long now) {
        Run r = current;
        if (r == null || r.exited()) {
            return false;
        }
        int ttl = spec.ttlSec() > 0 ? spec.ttlSec() : rt.defaultTtlSec();
        int idle = spec.idleTimeoutSec() > 0 ? spec.idleTimeoutSec() : rt.defaultIdleTimeoutSec();
        return (ttl > 0 && now - r.process().startedNanos() >= TimeUnit.SECONDS.toNanos(ttl))
                || (idle > 0 && now - lastActivity >= TimeUnit.SECONDS.toNanos(idle));
    }
}
