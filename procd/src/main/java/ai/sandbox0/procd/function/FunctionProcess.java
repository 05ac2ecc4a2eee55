package ai.sandbox0.procd.function;

import ai.sandbox0.procd.sys.ChildProcess;
import ai.sandbox0.procd.sys.ExitStatus;
import ai.sandbox0.procd.sys.FdWriter;
import ai.sandbox0.procd.sys.LibC;
import ai.sandbox0.procd.sys.Poller;
import ai.sandbox0.procd.sys.Spawner;
import ai.sandbox0.procd.sys.SysException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One harness process and its three pipes: procd writes frames to its fd 0, reads its frames from fd 1
 * and keeps the tail of fd 2 (the function's own prints and tracebacks) for its log. Pipes are read on
 * the poll thread and the frames handed over through a queue; when the harness exits, what it wrote
 * is drained first, then {@link Exited} is queued, so the exit always follows the last frame.
 */
public final class FunctionProcess {

    /** What the harness said or did, in order. */
    public sealed interface Event {
    }

    public record Said(HarnessFrames.Frame frame) implements Event {
    }

    public record Exited(ExitStatus status) implements Event {
    }

    /** A frame over the size cap, or a reader that fell too far behind: the harness has been killed. */
    public record Overflowed() implements Event {
    }

    private static final int MAX_DRAIN_READS = 256;
    private static final int STDERR_TAIL = 8 * 1024;
    /** Frames read but not yet taken by the request (a slow client of a stream); past this the function is killed. */
    private static final long MAX_QUEUED_BYTES = 16L * 1024 * 1024;

    private final Poller poller;
    private final ChildProcess child;
    private final int control;
    private final int results;
    private final int errors;
    private final HarnessFrames decoder;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final byte[] tail = new byte[STDERR_TAIL];
    private long tailWritten;
    private final ReentrantLock controlLock = new ReentrantLock();
    private boolean controlClosed;
    private boolean resultsEnded;
    private boolean errorsEnded;
    private volatile boolean reaped;
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();

    private FunctionProcess(Poller poller, int pid, int control, int results, int errors, int maxFrame) {
        this.poller = poller;
        this.child = new ChildProcess(pid);
        this.control = control;
        this.results = results;
        this.errors = errors;
        this.decoder = new HarnessFrames(maxFrame);
    }

    /** Spawns {@code exe} (absolute) on three fresh pipes; a spawn failure is the {@link SysException}. */
    static FunctionProcess spawn(Poller poller, String exe, List<String> argv, List<String> envp, String cwd,
                                 int maxFrame) {
        int[] in = LibC.pipe(LibC.O_CLOEXEC);
        int[] out = LibC.pipe(LibC.O_CLOEXEC);
        int[] err = LibC.pipe(LibC.O_CLOEXEC);
        int pid;
        try {
            pid = Spawner.spawn(exe, argv, envp, cwd, new Spawner.Stdio.Pipes(in[0], out[1], err[1]));
        } catch (RuntimeException e) {
            LibC.close(in[1]);
            LibC.close(out[0]);
            LibC.close(err[0]);
            throw e;
        } finally {
            LibC.close(in[0]);
            LibC.close(out[1]);
            LibC.close(err[1]);
        }
        LibC.setNonBlocking(in[1]);
        LibC.setNonBlocking(out[0]);
        LibC.setNonBlocking(err[0]);
        FunctionProcess p = new FunctionProcess(poller, pid, in[1], out[0], err[0], maxFrame);
        poller.register(p.results, (fd, revents) -> p.readResults());
        poller.register(p.errors, (fd, revents) -> p.readErrors());
        p.child.watchExit(poller, p::onExit);
        return p;
    }

    private boolean readResults() {
        byte[] bytes = poller.read(results);
        if (bytes == null) {
            return true;
        }
        if (bytes.length == 0) {
            resultsEnded = true;
            return false;
        }
        if (!decoder.feed(bytes, this::queue) || queuedBytes.get() > MAX_QUEUED_BYTES) {
            overflow();
            return false;
        }
        return true;
    }

    private void queue(HarnessFrames.Frame frame) {
        queuedBytes.addAndGet(frame.payload().length);
        events.add(new Said(frame));
    }

    private void overflow() {
        resultsEnded = true; // nothing after it is read
        events.add(new Overflowed());
        kill();
    }

    private boolean readErrors() {
        byte[] bytes = poller.read(errors);
        if (bytes == null) {
            return true;
        }
        if (bytes.length == 0) {
            errorsEnded = true;
            return false;
        }
        keepTail(bytes);
        return true;
    }

    private void keepTail(byte[] bytes) {
        synchronized (tail) {
            int from = Math.max(0, bytes.length - tail.length);
            for (int i = from; i < bytes.length; i++) {
                tail[(int) (tailWritten++ % tail.length)] = bytes[i];
            }
        }
    }

    /** On the poll thread, once reaped: drain both pipes, kill what the function left behind, report the exit. */
    private void onExit(ExitStatus status) {
        reaped = true;
        for (int n = 0; n < MAX_DRAIN_READS && !resultsEnded; n++) {
            if (!(poller.read(results) instanceof byte[] b) || b.length == 0) {
                break;
            }
            if (!decoder.feed(b, this::queue)) {
                overflow();
            }
        }
        for (int n = 0; n < MAX_DRAIN_READS && !errorsEnded; n++) {
            if (!(poller.read(errors) instanceof byte[] b) || b.length == 0) {
                break;
            }
            keepTail(b);
        }
        // Right after the reap the group id cannot have been reused while members of it are alive.
        LibC.kill(-child.pid(), 9);
        events.add(new Exited(status));
        poller.close(results);
        poller.close(errors);
        closeInput();
        exited.complete(status);
    }

    /** The next event, or null if none came within {@code timeoutMillis}. */
    public Event next(long timeoutMillis) throws InterruptedException {
        Event e = events.poll(Math.max(0, timeoutMillis), TimeUnit.MILLISECONDS);
        if (e instanceof Said(HarnessFrames.Frame f)) {
            queuedBytes.addAndGet(-f.payload().length);
        }
        return e;
    }

    /** Writes one frame to the harness; false if it no longer reads (exited, or its input is closed). */
    public boolean send(byte type, byte[] payload, long timeoutMillis) {
        byte[] frame = HarnessFrames.encode(type, payload);
        controlLock.lock();
        try {
            if (controlClosed) {
                return false;
            }
            return FdWriter.writeAll(control, frame, timeoutMillis);
        } catch (SysException e) {
            return false; // EPIPE: the harness is gone
        } finally {
            controlLock.unlock();
        }
    }

    /** End of input: for a WebSocket, the client has closed. */
    public void closeInput() {
        controlLock.lock();
        try {
            if (!controlClosed) {
                controlClosed = true;
                LibC.close(control);
            }
        } finally {
            controlLock.unlock();
        }
    }

    /** SIGKILL to every process of the function's session, from the poll thread (which reaps, so never a reused pid). */
    public void kill() {
        poller.submit(() -> {
            if (!reaped) {
                child.signalSession(9);
            }
        });
    }

    /**
     * After the answer: the harness exits by itself once it has written its last frame; whatever still
     * runs {@code graceMillis} later (a function that ignores its closed WebSocket) is killed.
     */
    public void finish(long graceMillis) {
        closeInput();
        if (exited.isDone()) {
            return;
        }
        Thread.ofVirtual().name("function-reaper").start(() -> {
            try {
                exited.get(graceMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | InterruptedException | ExecutionException e) {
                kill();
            }
        });
    }

    /** Waits up to {@code millis} for the harness to exit (and its output to be drained); true if it has. */
    public boolean awaitExit(long millis) throws InterruptedException {
        try {
            exited.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    /** The last few KiB the function wrote to its stdout and stderr. */
    public String outputTail() {
        synchronized (tail) {
            int n = (int) Math.min(tailWritten, tail.length);
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = tail[(int) ((tailWritten - n + i) % tail.length)];
            }
            return new String(out, StandardCharsets.UTF_8).strip();
        }
    }

    public int pid() {
        return child.pid();
    }
}
