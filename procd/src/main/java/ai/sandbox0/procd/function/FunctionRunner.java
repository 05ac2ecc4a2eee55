package ai.sandbox0.procd.function;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.context.EnvLayers;
import ai.sandbox0.procd.sys.LibC;
import ai.sandbox0.procd.sys.Poller;
import ai.sandbox0.procd.sys.SysException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts one fresh {@code python3} per invocation, running the harness shipped with procd
 * ({@code harness.py} beside this class), with the sandbox's environment plus the function's
 * {@code env_vars}, in the workspace root.
 */
public final class FunctionRunner {

    /** The largest response body procd sends for a function (upstream's limit); more is a 502. */
    public static final int MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
    /** One frame: a body of the limit plus its head fits; a stream's chunks must each fit too. */
    static final int MAX_FRAME_BYTES = MAX_RESPONSE_BYTES + 64 * 1024;

    /** How the harness serves the function. */
    public enum Mode {
        HTTP("http"), WEBSOCKET("ws");

        private final String arg;

        Mode(String arg) {
            this.arg = arg;
        }
    }

    private final Poller poller;
    private final EnvLayers env;
    private final Path workspace;
    private volatile String harness;

    public FunctionRunner(Poller poller, EnvLayers env, Path workspace) {
        this.poller = poller;
        this.env = env;
        this.workspace = workspace;
    }

    /**
     * Starts the harness and hands it the invocation (the body as received). {@code python3} is looked up
     * in the function's own PATH; without one the answer is upstream's 503.
     */
    public FunctionProcess start(FunctionInvocation invocation, byte[] body, Mode mode) {
        Map<String, String> environment = env.compose(Map.of(), invocation.env(), Map.of());
        String cwd = workspace.toString();
        String python = EnvLayers.lookPath("python3", environment, cwd);
        if (python == null) {
            throw unavailable();
        }
        FunctionProcess p;
        try {
            p = FunctionProcess.spawn(poller, python, List.of(python, "-c", harness(), mode.arg),
                    EnvLayers.envp(environment), cwd, MAX_FRAME_BYTES);
        } catch (SysException e) {
            if (e.errno() == LibC.ENOENT || e.errno() == LibC.EACCES || e.errno() == 8 /* ENOEXEC */) {
                throw unavailable();
            }
            throw e;
        }
        // A harness that died at once is reported by its exit event, not here.
        p.send(HarnessFrames.INVOKE, body, invocation.timeoutMillis());
        return p;
    }

    private static ProcdException unavailable() {
        return new ProcdException(ErrorCode.UNAVAILABLE, "function runtime unavailable");
    }

    private String harness() {
        String h = harness;
        if (h == null) {
            try (InputStream in = FunctionRunner.class.getResourceAsStream("harness.py")) {
                if (in == null) {
                    throw new IllegalStateException("harness.py is missing from procd");
                }
                h = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            harness = h;
        }
        return h;
    }
}
