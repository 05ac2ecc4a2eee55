package ai.sandbox0.procd.context;

import ai.sandbox0.api.context.ProcessType;
import java.util.List;
import java.util.Map;

/**
 * A validated create request: what a context runs, kept for restarts.
 *
 * @param profile the REPL profile (repl contexts only)
 * @param command argv of a cmd context
 * @param terminal whether the process gets a PTY (always for repl; for cmd when pty_size is given)
 */
record ContextSpec(
        ProcessType type,
        ReplProfile profile,
        List<String> command,
        String cwd,
        Map<String, String> envVars,
        int rows,
        int cols,
        boolean terminal,
        int ttlSec,
        int idleTimeoutSec,
        String input) {
}
