package ai.sandbox0.procd.sys;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A child started by {@link Spawner}: a session and process group leader. Exit is noticed through a
 * pidfd in the {@link Poller} (ProcessHandle.onExit is the fallback where pidfd_open is missing) and
 * the child is reaped with {@code waitpid(pid)} on the poller thread, so the reap is ordered with the
 * final reads of its output.
 */
public final class ChildProcess {

    private final int pid;

    public ChildProcess(int pid) {
        this.pid = pid;
    }

    public int pid() {
        return pid;
    }

    /** Calls {@code onExit} on the poller thread once the child has exited and been reaped. */
    public void watchExit(Poller poller, Consumer<ExitStatus> onExit) {
        int pidfd = LibC.pidfdOpen(pid);
        if (pidfd >= 0) {
            poller.register(pidfd, (fd, revents) -> {
                ExitStatus status = reapNow();
                if (status == null) {
                    return true;
                }
                poller.close(pidfd);
                onExit.accept(status);
                return false;
            });
            return;
        }
        // No pidfd (old kernel or a seccomp profile): onExit() only notifies (waitid WNOWAIT), we reap.
        ProcessHandle.of(pid).ifPresentOrElse(
                h -> h.onExit().thenRun(() -> poller.submit(() -> {
                    ExitStatus status = reapNow();
                    onExit.accept(status != null ? status : new ExitStatus(-1, 9));
                })),
                () -> poller.submit(() -> onExit.accept(new ExitStatus(-1, 9))));
    }

    private ExitStatus reapNow() {
        try {
            int[] r = LibC.waitpid(pid, LibC.WNOHANG);
            return r[0] == pid ? ExitStatus.of(r[1]) : null;
        } catch (SysException e) {
            return new ExitStatus(-1, 9); // ECHILD: already reaped elsewhere
        }
    }

    /** Signals the whole process group (pgid == pid after setsid); falls back to the pid alone. */
    public int signalGroup(int sig) {
        int r = LibC.kill(-pid, sig);
        return r == -LibC.ESRCH ? LibC.kill(pid, sig) : r;
    }

    /**
     * Signals every process of the child's session: job control in an interactive shell moves jobs
     * into process groups of their own, which a group kill would miss.
     */
    public void signalSession(int sig) {
        signalGroup(sig);
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                int other = Integer.parseInt(p.getFileName().toString());
                if (other != pid && sessionOf(p) == pid) {
                    LibC.kill(other, sig);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: the group signal already went out
        }
    }

    private static int sessionOf(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[3]); // state ppid pgrp session
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
