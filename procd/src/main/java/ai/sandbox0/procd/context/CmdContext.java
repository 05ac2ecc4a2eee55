package ai.sandbox0.procd.context;

import ai.sandbox0.api.context.ContextExecResponse;
import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.ContextServerFrame;
import ai.sandbox0.api.context.OutputSource;
import java.util.List;
import java.util.Map;

/** One process per context, on pipes (stdout and stderr apart) or, given a pty_size, on a PTY. */
public final class CmdContext extends Context {

    CmdContext(String id, ContextSpec spec, ContextRuntime rt) {
        super(id, spec, rt);
    }

    @Override
    protected List<String> argv() {
        return spec.command();
    }

    @Override
    protected Map<String, String> environment() {
        Map<String, String> profile = spec.terminal() ? Map.of("TERM", "xterm-256color") : Map.of();
        return rt.env().compose(profile, spec.envVars(), Map.of());
    }

    @Override
    public String alias() {
        return null;
    }

    @Override
    protected void output(OutputLog log, OutputSource source, String text) {
        log.append(new ContextServerFrame.Output(source, text));
    }

    /** Create with {@code wait_until_done}: start, then wait for the exit (capped) and report the output. */
    ContextResponse startAndWait() {
        return response(captured(ExecCapture.untilExit(rt.outputMaxChars()), deadline(), this::start).text());
    }

    /** Writes {@code data} verbatim to the process and waits for it to exit (capped). */
    @Override
    public ContextExecResponse exec(String data) {
        long deadline = deadline();
        return underExecLock(deadline, () -> {
            Run run = liveRun(true);
            ExecCapture c = ExecCapture.untilExit(rt.outputMaxChars());
            captured(c, deadline, () -> {
                if (run.process().exit() != null) {
                    c.onExit(run.process().exit());
                } else {
                    write(run, data);
                }
            });
            return execResult(c.text(), c);
        });
    }
}
