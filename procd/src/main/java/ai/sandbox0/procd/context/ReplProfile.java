package ai.sandbox0.procd.context;

import ai.sandbox0.api.context.ExecCandidate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to run one kind of REPL: executables to try (first found in PATH), environment, the prompt
 * token that means "ready for input" and, when known, the continuation prompt token.
 *
 * @param prompt        primary prompt token; null when readiness is a startup delay only
 * @param continuation  continuation prompt token, or null when the REPL's cannot be set
 * @param startupDelayMs used when {@code prompt} is null
 */
public record ReplProfile(
        String name,
        List<ExecCandidate> candidates,
        Map<String, String> env,
        String prompt,
        String continuation,
        int startupDelayMs) {

    public static final String TOKEN = "_S0_> ";
    public static final String CONTINUATION = "__S0_CONT__ ";

    /** The built-in aliases; null for an unknown one. */
    public static ReplProfile builtin(String alias) {
        return switch (alias) {
            case "python" -> python();
            case "node" -> node();
            case "bash" -> bash();
            default -> null;
        };
    }

    private static ReplProfile python() {
        // -c runs before the interactive loop (-i), so the prompts are set without echoing anything.
        String setup = "import sys; sys.ps1='" + TOKEN + "'; sys.ps2='" + CONTINUATION + "'";
        List<String> args = List.of("-q", "-i", "-u", "-c", setup);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TERM", "dumb"); // no escape sequences from readline; a wide window keeps long lines intact
        env.put("PYTHON_BASIC_REPL", "1"); // 3.13+: the classic REPL, whose prompts are sys.ps1/ps2
        return new ReplProfile("python",
                List.of(new ExecCandidate("python3", args), new ExecCandidate("python", args)),
                env, TOKEN, CONTINUATION, 0);
    }

    private static ReplProfile node() {
        String script = "require('repl').start({prompt:'" + TOKEN + "',useGlobal:true})";
        List<String> args = List.of("-e", script);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TERM", "dumb"); // node's readline switches to its plain "dumb terminal" mode
        env.put("NODE_DISABLE_COLORS", "1");
        return new ReplProfile("node",
                List.of(new ExecCandidate("node", args), new ExecCandidate("nodejs", args)),
                env, TOKEN, null, 0);
    }

    private static ReplProfile bash() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TERM", "xterm-256color");
        env.put("PS1", TOKEN);
        env.put("PS2", CONTINUATION);
        env.put("PROMPT_COMMAND", "");
        return new ReplProfile("bash",
                List.of(new ExecCandidate("bash", List.of("--norc", "--noprofile", "-i"))),
                env, TOKEN, CONTINUATION, 0);
    }
}
