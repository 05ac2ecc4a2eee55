package ai.sandbox0.procd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every binding through LibC's one downcall shape, against the real kernel: arguments of each width
 * arrive intact, int results and errno come back right, and a spawned child gets exactly the session,
 * signal state, fds, cwd, environment and terminal it was given.
 */
class LibCTest {

    @Test
    void pipeWriteReadAndFlagsRoundTrip() {
        int[] p = LibC.pipe(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom("hello");
            assertEquals(5, LibC.write(p[1], out, 5));
            MemorySegment in = arena.allocate(16);
            assertEquals(5, LibC.read(p[0], in, 16));
            assertEquals("hello", new String(in.asSlice(0, 5).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
            assertEquals(-LibC.EAGAIN, LibC.read(p[0], in, 16), "empty non-blocking pipe");
            int flags = (int) LibC.check("fcntl", LibC.fcntl(p[0], LibC.F_GETFL, 0));
            assertEquals(LibC.O_NONBLOCK, flags & LibC.O_NONBLOCK);
        } finally {
            assertEquals(0, LibC.close(p[0]));
            assertEquals(0, LibC.close(p[1]));
        }
    }

    @Test
    void failuresReturnTheirErrno() {
        assertEquals(-LibC.EBADF, LibC.close(-1));
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(-LibC.EBADF, LibC.read(-1, arena.allocate(1), 1));
        }
        assertEquals(-LibC.ESRCH, LibC.kill(Integer.MAX_VALUE, 0));
        var e = assertThrows(SysException.class, () -> LibC.waitpid(Integer.MAX_VALUE, LibC.WNOHANG));
        assertEquals(LibC.ECHILD, e.errno());
        var spawn = assertThrows(SysException.class,
                () -> Spawner.spawn("/no/such/binary", List.of("x"), List.of(), null, new Spawner.Stdio.Pipes(0, 1, 2)));
        assertEquals(LibC.ENOENT, spawn.errno());
        assertEquals(-LibC.EBADF, LibC.tcgetpgrp(-1));
    }

    @Test
    void spawnedChildGetsItsCwdEnvFdsAndCleanSignalState(@TempDir Path dir) throws Exception {
        String script = "echo \"$GREETING\"; pwd; ls /proc/self/fd | tr '\\n' ' '; echo;"
                + " grep -E '^Sig(Blk|Ign):' /proc/self/status; cut -d' ' -f6 /proc/$$/stat; echo $$; exit 3";
        Child child = Child.run(List.of("/bin/sh", "-c", script), List.of("GREETING=hi there"), dir.toString());
        String[] lines = child.output.split("\n");
        assertEquals("hi there", lines[0]);
        assertEquals(dir.toRealPath().toString(), lines[1]);
        assertEquals("0 1 2 3 ", lines[2], "only stdio (3 is ls's own directory fd): no fd of the JVM leaks");
        assertEquals("SigBlk:\t0000000000000000", lines[3]);
        assertEquals("SigIgn:\t0000000000000000", lines[4]);
        assertEquals(lines[6], lines[5], "the child leads its own session");
        assertEquals(String.valueOf(child.pid), lines[6]);
        assertEquals(3, child.status.exitCode());
    }

    @Test
    void terminalChildSeesItsWindowSizeAndIsTheForegroundGroup() throws Exception {
        Pty pty = Pty.open(30, 100);
        try {
            assertTrue(pty.slavePath().startsWith("/dev/pts/"), pty.slavePath());
            pty.resize(31, 101);
            int pid = Spawner.spawn("/bin/sh", List.of("sh", "-c", "stty size; sleep 5"), List.of("PATH=/usr/bin:/bin"),
                    null, new Spawner.Stdio.Terminal(pty.slavePath()));
            try {
                String seen = readUntil(pty.master(), "\n", 5_000);
                assertEquals("31 101", seen.strip());
                assertEquals(pid, pty.foregroundGroup());
            } finally {
                assertEquals(0, LibC.kill(pid, 9));
                LibC.waitpid(pid, 0);
            }
        } finally {
            LibC.close(pty.master());
        }
    }

    @Test
    void pidfdPollsReadableWhenTheChildExits() throws Exception {
        int pid = Spawner.spawn("/bin/sh", List.of("sh", "-c", "sleep 0.2"), List.of(), null,
                new Spawner.Stdio.Pipes(0, 1, 2));
        int fd = (int) LibC.check("pidfd_open", LibC.pidfdOpen(pid));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(8);
            pfd.set(ValueLayout.JAVA_INT, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
            assertEquals(0, LibC.poll(pfd, 1, 0), "still running");
            assertEquals(1, LibC.poll(pfd, 1, 5_000));
            assertEquals(pid, LibC.waitpid(pid, 0)[0]);
        } finally {
            LibC.close(fd);
        }
    }

    @Test
    void inotifyReportsACreatedFile(@TempDir Path dir) throws Exception {
        int fd = (int) LibC.check("inotify_init1", LibC.inotifyInit(LibC.O_CLOEXEC | LibC.O_NONBLOCK));
        try (Arena arena = Arena.ofConfined()) {
            int wd = (int) LibC.check("inotify_add_watch", LibC.inotifyAddWatch(fd, dir.toString(), 0x100)); // IN_CREATE
            Files.writeString(dir.resolve("made"), "x");
            MemorySegment buf = arena.allocate(4096);
            long n = LibC.read(fd, buf, 4096);
            assertTrue(n >= 16, "an event arrived: " + n);
            assertEquals(wd, buf.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0x100, buf.get(ValueLayout.JAVA_INT, 4));
            assertEquals("made", buf.getString(16));
            assertEquals(0, LibC.inotifyRmWatch(fd, wd));
        } finally {
            LibC.close(fd);
        }
    }

    /** A child on pipes, read to EOF and reaped. */
    private record Child(int pid, String output, ExitStatus status) {
        static Child run(List<String> argv, List<String> env, String cwd) throws Exception {
            int[] out = LibC.pipe(LibC.O_CLOEXEC);
            int pid;
            try {
                pid = Spawner.spawn(argv.getFirst(), argv, withPath(env), cwd,
                        new Spawner.Stdio.Pipes(0, out[1], out[1]));
            } finally {
                LibC.close(out[1]);
            }
            var text = new ByteArrayOutputStream();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(4096);
                long n;
                while ((n = LibC.read(out[0], buf, 4096)) > 0) {
                    text.write(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
                }
            } finally {
                LibC.close(out[0]);
            }
            int[] waited = LibC.waitpid(pid, 0);
            return new Child(pid, text.toString(StandardCharsets.UTF_8), ExitStatus.of(waited[1]));
        }

        private static List<String> withPath(List<String> env) {
            var all = new ArrayList<>(env);
            all.add("PATH=/usr/bin:/bin");
            return all;
        }
    }

    private static String readUntil(int fd, String end, long millis) throws InterruptedException {
        var text = new StringBuilder();
        long deadline = System.currentTimeMillis() + millis;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(1024);
            while (!text.toString().contains(end) && System.currentTimeMillis() < deadline) {
                long n = LibC.read(fd, buf, 1024);
                if (n > 0) {
                    text.append(new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
                } else {
                    Thread.sleep(10);
                }
            }
        }
        return text.toString();
    }
}
