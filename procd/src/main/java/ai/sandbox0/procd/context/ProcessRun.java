package ai.sandbox0.procd.context;

import ai.sandbox0.api.context.OutputSource;
import ai.sandbox0.procd.sys.ChildProcess;
import ai.sandbox0.procd.sys.ExitStatus;
import ai.sandbox0.procd.sys.FdWriter;
import ai.sandbox0.procd.sys.LibC;
import ai.sandbox0.procd.sys.Poller;
import ai.sandbox0.procd.sys.Pty;
import ai.sandbox0.procd.sys.Spawner;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One process of a context (a restart makes a new one) and its fds: a PTY master, or three pipes.
 *
 * <p>Output is read on the poll thread and handed to the {@link Sink} there. When the child exits,
 * its fds are drained (the bytes it wrote before dying are already in the kernel buffers), then the
 * sink hears the exit, so the final {@code done} always follows the last output. Fds are closed
 * only by the poll thread and only once no writer is inside a write (fd numbers are reused at once).
 */
final class ProcessRun {

    /** Receives output text and the exit, on the poll thread. */
    interface Sink {
        void onText(OutputSource source, String text);

        void onExit(ExitStatus status);
    }

    private static final int MAX_DRAIN_READS = 256; // 16 MiB: a grandchild may keep writing forever

    private final Poller poller;
    private final ChildProcess child;
    private final Pty pty;
    private final int stdin;
    private final int[] outputs;
    private final OutputSource[] sources;
    private final Utf8Stream[] decoders;
    private final boolean[] eof;
    private final Sink sink;
    private final long startedNanos = System.nanoTime();
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private final Object io = new Object();
    private int writers;
    private boolean closing;
    private boolean stdinClosed;
    private volatile ExitStatus exit;

    private ProcessRun(Poller poller, int pid, Pty pty, int stdin, int[] outputs, OutputSource[] sources, Sink sink) {
        this.poller = poller;
        this.child = new ChildProcess(pid);
        this.pty = pty;
        this.stdin = stdin;
        this.outputs = outputs;
        this.sources = sources;
        this.decoders = new Utf8Stream[outputs.length];
        this.eof = new boolean[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            decoders[i] = new Utf8Stream();
        }
        this.sink = sink;
    }

    /** Spawns on a fresh PTY; the child's session has the slave as its controlling terminal. */
    static ProcessRun onTerminal(Poller poller, String exe, List<String> argv, List<String> env, String cwd,
                                 int rows, int cols, Sink sink) {
        Pty pty = Pty.open(rows, cols);
        int pid;
        try {
            pid = Spawner.spawn(exe, argv, env, cwd, new Spawner.Stdio.Terminal(pty.slavePath()));
        } catch (RuntimeException e) {
            LibC.close(pty.master());
            throw e;
        }
        ProcessRun run = new ProcessRun(poller, pid, pty, pty.master(), new int[] {pty.master()},
                new OutputSource[] {OutputSource.PTY}, sink);
        run.startWatching();
        return run;
    }

    /** Spawns with stdin, stdout and stderr on pipes, so the two outputs stay apart. */
    static ProcessRun onPipes(Poller poller, String exe, List<String> argv, List<String> env, String cwd, Sink sink) {
        int[] in = LibC.pipe(LibC.O_CLOEXEC);
        int[] out = LibC.pipe(LibC.O_CLOEXEC);
        int[] err = LibC.pipe(LibC.O_CLOEXEC);
        int pid;
        try {
            pid = Spawner.spawn(exe, argv, env, cwd, new Spawner.Stdio.Pipes(in[0], out[1], err[1]));
        } catch (RuntimeException e) {
            for (int fd : new int[] {in[0], in[1], out[0], out[1], err[0], err[1]}) {
                LibC.close(fd);
            }
            throw e;
        } finally {
            // The child's ends: never registered anywhere, so closing them here is safe.
            LibC.close(in[0]);
            LibC.close(out[1]);
            LibC.close(err[1]);
        }
        LibC.setNonBlocking(in[1]);
        LibC.setNonBlocking(out[0]);
        LibC.setNonBlocking(err[0]);
        ProcessRun run = new ProcessRun(poller, pid, null, in[1], new int[] {out[0], err[0]},
                new OutputSource[] {OutputSource.STDOUT, OutputSource.STDERR}, sink);
        run.startWatching();
        return run;
    }

    private void startWatching() {
        for (int i = 0; i < outputs.length; i++) {
            int index = i;
            poller.register(outputs[i], (fd, revents) -> readOnce(index));
        }
        child.watchExit(poller, this::onExit);
    }

    private boolean readOnce(int i) {
        byte[] bytes = poller.read(outputs[i]);
        if (bytes == null) {
            return true;
        }
        if (bytes.length == 0) {
            eof[i] = true;
            String rest = decoders[i].flush();
            if (!rest.isEmpty()) {
                sink.onText(sources[i], rest);
            }
            return false;
        }
        String text = decoders[i].decode(bytes);
        if (!text.isEmpty()) {
            sink.onText(sources[i], text);
        }
        return true;
    }

    private void onExit(ExitStatus status) {
        for (int i = 0; i < outputs.length; i++) {
            for (int n = 0; n < MAX_DRAIN_READS && !eof[i]; n++) {
                if (poller.read(outputs[i]) instanceof byte[] b && b.length > 0) {
                    String text = decoders[i].decode(b);
                    if (!text.isEmpty()) {
                        sink.onText(sources[i], text);
                    }
                } else {
                    break;
                }
            }
        }
        exit = status;
        sink.onExit(status);
        closeFds();
        exited.complete(status);
    }

    private void closeFds() {
        boolean now;
        synchronized (io) {
            closing = true;
            now = writers == 0 && !stdinClosed;
            if (now) {
                stdinClosed = true;
            }
        }
        for (int fd : outputs) {
            if (fd != stdin) {
                poller.close(fd);
            }
        }
        if (now) {
            closeStdin();
        }
    }

    private void closeStdin() {
        if (pty != null) {
            poller.close(stdin); // the master: also polled
        } else {
            LibC.close(stdin);
        }
    }

    /** Runs {@code action} on the input fd unless the process has exited; false if it has. */
    private boolean withInput(java.util.function.IntPredicate action, boolean[] result) {
        synchronized (io) {
            if (closing) {
                return false;
            }
            writers++;
        }
        try {
            result[0] = action.test(stdin);
            return true;
        } finally {
            boolean closeNow;
            synchronized (io) {
                writers--;
                closeNow = closing && writers == 0 && !stdinClosed;
                if (closeNow) {
                    stdinClosed = true;
                }
            }
            if (closeNow) {
                closeStdin();
            }
        }
    }

    enum WriteResult { WRITTEN, BUFFER_FULL, FINISHED }

    WriteResult write(byte[] data, long timeoutMillis) {
        boolean[] ok = new boolean[1];
        if (!withInput(fd -> FdWriter.writeAll(fd, data, timeoutMillis), ok)) {
            return WriteResult.FINISHED;
        }
        return ok[0] ? WriteResult.WRITTEN : WriteResult.BUFFER_FULL;
    }

    boolean hasTerminal() {
        return pty != null;
    }

    /** False if the process has exited. */
    boolean resize(int rows, int cols) {
        boolean[] ok = new boolean[1];
        return withInput(fd -> {
            pty.resize(rows, cols);
            return true;
        }, ok);
    }

    /**
     * Signals what the user means: on a terminal the foreground process group (what ^C hits), else the
     * process group. Sent from the poll thread, which is the one that reaps, so a reaped (and maybe
     * reused) pid is never signalled. False if the process has exited.
     */
    boolean signal(int sig) {
        CompletableFuture<Boolean> sent = new CompletableFuture<>();
        poller.submit(() -> {
            if (exit != null) {
                sent.complete(false);
                return;
            }
            int fg = -1;
            if (pty != null) {
                boolean[] r = new boolean[1];
                int[] pg = new int[1];
                withInput(fd -> {
                    pg[0] = pty.foregroundGroup();
                    return true;
                }, r);
                fg = pg[0];
            }
            if (fg > 0) {
                LibC.kill(-fg, sig);
            } else {
                child.signalGroup(sig);
            }
            sent.complete(true);
        });
        return sent.join();
    }

    /** Kills the whole session (jobs of an interactive shell live in groups of their own). */
    void kill() {
        poller.submit(() -> {
            if (exit == null) {
                child.signalSession(9);
            }
        });
    }

    boolean awaitExit(long timeoutMillis) {
        try {
            exited.get(timeoutMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    ExitStatus exit() {
        return exit;
    }

    int pid() {
        return child.pid();
    }

    long startedNanos() {
        return startedNanos;
    }
}
