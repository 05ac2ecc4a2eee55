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

    private static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    private static final long SPAWNATTR_SIZE = 336, FILE_ACTIONS_SIZE = 80, SIGSET_SIZE = 128;

    // Called through LibC's one downcall shape; each returns 0 or an error number.
    private static final MemorySegment POSIX_SPAWN = LibC.find("posix_spawn");
    private static final MemorySegment SPAWNATTR_INIT = LibC.find("posix_spawnattr_init");
    private static final MemorySegment SPAWNATTR_DESTROY = LibC.find("posix_spawnattr_destroy");
    private static final MemorySegment SPAWNATTR_SETFLAGS = LibC.find("posix_spawnattr_setflags");
    private static final MemorySegment SPAWNATTR_SETSIGMASK = LibC.find("posix_spawnattr_setsigmask");
    private static final MemorySegment SPAWNATTR_SETSIGDEFAULT = LibC.find("posix_spawnattr_setsigdefault");
    private static final MemorySegment FA_INIT = LibC.find("posix_spawn_file_actions_init");
    private static final MemorySegment FA_DESTROY = LibC.find("posix_spawn_file_actions_destroy");
    private static final MemorySegment FA_ADDOPEN = LibC.find("posix_spawn_file_actions_addopen");
    private static final MemorySegment FA_ADDDUP2 = LibC.find("posix_spawn_file_actions_adddup2");
    private static final MemorySegment FA_ADDCLOSEFROM = LibC.find("posix_spawn_file_actions_addclosefrom_np");
    private static final MemorySegment FA_ADDCHDIR = LibC.find("posix_spawn_file_actions_addchdir_np");

    private Spawner() {
    }

    /** Runs the spawn helpers that change nothing once (see {@link LibC#prewarm}). */
    public static void prewarm() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = LibC.errnoArea(arena);
            long attr = arena.allocate(SPAWNATTR_SIZE, 8).address();
            long actions = arena.allocate(FILE_ACTIONS_SIZE, 8).address();
            ok("posix_spawnattr_init", LibC.call(SPAWNATTR_INIT, st, attr));
            ok("posix_spawnattr_destroy", LibC.call(SPAWNATTR_DESTROY, st, attr));
            ok("posix_spawn_file_actions_init", LibC.call(FA_INIT, st, actions));
            ok("posix_spawn_file_actions_destroy", LibC.call(FA_DESTROY, st, actions));
        }
    }

    /**
     * Starts {@code executable} (an absolute path: glibc's PATH search would use the JVM's PATH, not
     * the child's). Returns the pid; throws {@link SysException} with the spawn's errno.
     */
    public static int spawn(String executable, List<String> argv, List<String> envp, String cwd, Stdio stdio) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = LibC.errnoArea(arena);
            long attr = arena.allocate(SPAWNATTR_SIZE, 8).address();
            long actions = arena.allocate(FILE_ACTIONS_SIZE, 8).address();
            long empty = arena.allocate(SIGSET_SIZE, 8).address(); // allocations are zeroed
            // Every signal, glibc's internal 32 and 33 included: sigfillset leaves those out, and
            // posix_spawn then hands them to the child ignored, a state that survives exec.
            long full = arena.allocate(SIGSET_SIZE, 8).fill((byte) 0xff).address();
            ok("posix_spawnattr_init", LibC.call(SPAWNATTR_INIT, st, attr));
            ok("posix_spawn_file_actions_init", LibC.call(FA_INIT, st, actions));
            try {
                ok("posix_spawnattr_setflags", LibC.call(SPAWNATTR_SETFLAGS, st, attr,
                        POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
                ok("posix_spawnattr_setsigmask", LibC.call(SPAWNATTR_SETSIGMASK, st, attr, empty));
                ok("posix_spawnattr_setsigdefault", LibC.call(SPAWNATTR_SETSIGDEFAULT, st, attr, full));
                if (cwd != null) {
                    ok("addchdir_np", LibC.call(FA_ADDCHDIR, st, actions, arena.allocateFrom(cwd).address()));
                }
                switch (stdio) {
                    case Stdio.Terminal(String slave) -> {
                        // setsid runs before the file actions, so this open makes the slave the ctty.
                        ok("addopen", LibC.call(FA_ADDOPEN, st, actions, 0, arena.allocateFrom(slave).address(),
                                LibC.O_RDWR, 0, 0));
                        ok("adddup2", LibC.call(FA_ADDDUP2, st, actions, 0, 1));
                        ok("adddup2", LibC.call(FA_ADDDUP2, st, actions, 0, 2));
                    }
                    case Stdio.Pipes(int in, int out, int err) -> {
                        ok("adddup2", LibC.call(FA_ADDDUP2, st, actions, in, 0));
                        ok("adddup2", LibC.call(FA_ADDDUP2, st, actions, out, 1));
                        ok("adddup2", LibC.call(FA_ADDDUP2, st, actions, err, 2));
                    }
                }
                ok("addclosefrom_np", LibC.call(FA_ADDCLOSEFROM, st, actions, 3));
                MemorySegment pid = arena.allocate(JAVA_INT);
                int err = (int) LibC.call(POSIX_SPAWN, st, pid.address(), arena.allocateFrom(executable).address(),
                        actions, attr, strings(arena, argv).address(), strings(arena, envp).address());
                if (err != 0) {
                    throw new SysException("posix_spawn " + executable, err);
                }
                return pid.get(JAVA_INT, 0);
            } finally {
                LibC.call(FA_DESTROY, st, actions);
                LibC.call(SPAWNATTR_DESTROY, st, attr);
            }
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

    private static void ok(String call, long result) {
        int err = (int) result;
        if (err != 0) {
            throw new SysException(call, err);
        }
    }
}
