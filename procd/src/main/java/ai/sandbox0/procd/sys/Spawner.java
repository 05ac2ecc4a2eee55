package ai.sandbox0.procd.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code posix_spawn} of a child in a new session (so its process group id equals its pid and a
 * terminal can become its controlling tty), with an empty signal mask and default dispositions (the
 * JVM's threads block SIGQUIT; a JVM started under nohup ignores SIGINT; both would be inherited), and
 * with every fd above 2 closed (the JVM leaks some without O_CLOEXEC).
 */
public final class Spawner {

    /** What the child's fds 0, 1 and 2 are. */
    public sealed interface Stdio {
        /** The slave of a PTY, opened without O_NOCTTY in the new session: it becomes the ctty. */
        record Terminal(String slavePath) implements Stdio {
        }

        /** Pipe ends to dup onto 0, 1 and 2. */
        record Pipes(int stdin, int stdout, int stderr) implements Stdio {
        }
    }

    private Spawner() {
    }

    /**
     * Starts {@code executable} (an absolute path: glibc's PATH search would use the JVM's PATH, not
     * the child's). Returns the pid; throws {@link SysException} with the spawn's errno.
     */
    /** Generates the spawn helpers' downcall stubs and runs the ones that change nothing: see LibC#prewarm. */
    public static void prewarm() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(LibC.SPAWNATTR_SIZE, 8);
            MemorySegment actions = arena.allocate(LibC.FILE_ACTIONS_SIZE, 8);
            MemorySegment set = arena.allocate(LibC.SIGSET_SIZE, 8);
            ok("sigemptyset", (int) LibC.Spawn.SIGEMPTYSET.invokeExact(set));
            ok("posix_spawnattr_init", (int) LibC.Spawn.SPAWNATTR_INIT.invokeExact(attr));
            ok("posix_spawnattr_destroy", (int) LibC.Spawn.SPAWNATTR_DESTROY.invokeExact(attr));
            ok("posix_spawn_file_actions_init", (int) LibC.Spawn.FA_INIT.invokeExact(actions));
            ok("posix_spawn_file_actions_destroy", (int) LibC.Spawn.FA_DESTROY.invokeExact(actions));
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    public static int spawn(String executable, List<String> argv, List<String> envp, String cwd, Stdio stdio) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(LibC.SPAWNATTR_SIZE, 8);
            MemorySegment actions = arena.allocate(LibC.FILE_ACTIONS_SIZE, 8);
            MemorySegment empty = arena.allocate(LibC.SIGSET_SIZE, 8);
            MemorySegment full = arena.allocate(LibC.SIGSET_SIZE, 8);
            ok("sigemptyset", (int) LibC.Spawn.SIGEMPTYSET.invokeExact(empty));
            ok("sigfillset", (int) LibC.Spawn.SIGFILLSET.invokeExact(full));
            ok("posix_spawnattr_init", (int) LibC.Spawn.SPAWNATTR_INIT.invokeExact(attr));
            ok("posix_spawn_file_actions_init", (int) LibC.Spawn.FA_INIT.invokeExact(actions));
            try {
                short flags = (short) (LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF);
                ok("posix_spawnattr_setflags", (int) LibC.Spawn.SPAWNATTR_SETFLAGS.invokeExact(attr, flags));
                ok("posix_spawnattr_setsigmask", (int) LibC.Spawn.SPAWNATTR_SETSIGMASK.invokeExact(attr, empty));
                ok("posix_spawnattr_setsigdefault", (int) LibC.Spawn.SPAWNATTR_SETSIGDEFAULT.invokeExact(attr, full));
                if (cwd != null) {
                    ok("addchdir_np", (int) LibC.Spawn.FA_ADDCHDIR.invokeExact(actions, arena.allocateFrom(cwd)));
                }
                switch (stdio) {
                    case Stdio.Terminal(String slave) -> {
                        // setsid runs before the file actions, so this open makes the slave the ctty.
                        ok("addopen", (int) LibC.Spawn.FA_ADDOPEN.invokeExact(actions, 0, arena.allocateFrom(slave),
                                LibC.O_RDWR, 0));
                        ok("adddup2", (int) LibC.Spawn.FA_ADDDUP2.invokeExact(actions, 0, 1));
                        ok("adddup2", (int) LibC.Spawn.FA_ADDDUP2.invokeExact(actions, 0, 2));
                    }
                    case Stdio.Pipes(int in, int out, int err) -> {
                        ok("adddup2", (int) LibC.Spawn.FA_ADDDUP2.invokeExact(actions, in, 0));
                        ok("adddup2", (int) LibC.Spawn.FA_ADDDUP2.invokeExact(actions, out, 1));
                        ok("adddup2", (int) LibC.Spawn.FA_ADDDUP2.invokeExact(actions, err, 2));
                    }
                }
                ok("addclosefrom_np", (int) LibC.Spawn.FA_ADDCLOSEFROM.invokeExact(actions, 3));
                MemorySegment pid = arena.allocate(JAVA_INT);
                int err = (int) LibC.Spawn.POSIX_SPAWN.invokeExact(pid, arena.allocateFrom(executable), actions, attr,
                        strings(arena, argv), strings(arena, envp));
                if (err != 0) {
                    throw new SysException("posix_spawn " + executable, err);
                }
                return pid.get(JAVA_INT, 0);
            } finally {
                int ignored = (int) LibC.Spawn.FA_DESTROY.invokeExact(actions);
                ignored = (int) LibC.Spawn.SPAWNATTR_DESTROY.invokeExact(attr);
            }
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }

    private static void ok(String call, int err) {
        if (err != 0) {
            throw new SysException(call, err);
        }
    }
}
