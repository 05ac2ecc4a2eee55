package ai.sandbox0.procd.context;

import ai.sandbox0.api.context.ContextExecResponse;
import ai.sandbox0.api.context.ContextServerFrame;
import ai.sandbox0.api.context.OutputSource;
import ai.sandbox0.procd.sys.ExitStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An interpreter on a PTY. Its prompt tokens are taken out of the output frames ("prompt bytes are
 * not forwarded"); the primary prompt marks readiness and completes the pending relayed input with a
 * {@code done} carrying its request id (the latest id wins, as upstream).
 */
public final class ReplContext extends Context {

    private static final long READY_TIMEOUT_MILLIS = 10_000;

    private final ReplProfile profile;
    private final List<String> argv;
    private volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile String pendingRequest;
    private volatile TokenCounter prompts; // fed on the poll thread only
    private volatile PromptFilter filter;
    private long heldSince; // poll thread: generation of the held prompt piece
    private volatile boolean atPrompt; // the raw output ends with the primary prompt
    private String rawTail = ""; // poll thread

    ReplContext(String id, ContextSpec spec, ContextRuntime rt) {
        super(id, spec, rt);
        this.profile = spec.profile();
        ReplProfile p = profile;
        Map<String, String> env = environment();
        List<String> chosen = null;
        for (var c : p.candidates()) {
            if (EnvLayers.lookPath(c.name(), env, spec.cwd()) != null) {
                chosen = concat(c.name(), c.args());
                break;
            }
        }
        this.argv = chosen != null ? chosen : concat(p.candidates().getFirst().name(), p.candidates().getFirst().args());
    }

    private static List<String> concat(String first, List<String> rest) {
        var all = new java.util.ArrayList<String>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return List.copyOf(all);
    }

    @Override
    protected List<String> argv() {
        return argv;
    }

    @Override
    protected Map<String, String> environment() {
        Map<String, String> forced = new LinkedHashMap<>();
        profile.env().forEach((k, v) -> {
            if (v.equals(profile.prompt()) || v.equals(profile.continuation())) {
                forced.put(k, v); // prompt variables must survive the context's env_vars
            }
        });
        return rt.env().compose(profile.env(), spec.envVars(), forced);
    }

    @Override
    public String alias() {
        return profile.name();
    }

    @Override
    void start() {
        super.start();
        started(deadline());
    }

    @Override
    protected void beforeLaunch() {
        prompts = new TokenCounter(profile.prompt());
        filter = new PromptFilter(profile.prompt(), profile.continuation());
        rawTail = "";
        atPrompt = false;
        ready = new CompletableFuture<>();
        pendingRequest = null;
    }

    @Override
    protected void started(long deadlineNanos) {
        CompletableFuture<Void> r = ready;
        if (profile.prompt() == null) {
            Thread.ofVirtual().start(() -> {
                sleep(profile.startupDelayMs());
                r.complete(null);
            });
        }
        awaitReady(Math.min(deadlineNanos, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS)));
        if (spec.input() != null && !spec.input().isEmpty()) {
            Run run = current;
            if (run != null && !run.exited()) {
                write(run, withNewline(spec.input()));
            }
        }
    }

    private boolean awaitReady(long deadlineNanos) {
        try {
            ready.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    @Override
    protected void output(OutputLog log, OutputSource source, String text) {
        int seen = profile.prompt() == null ? 0 : prompts.feed(text);
        if (profile.prompt() != null) {
            String t = rawTail + text;
            rawTail = t.substring(Math.max(0, t.length() - profile.prompt().length()));
            atPrompt = rawTail.equals(profile.prompt());
        }
        PromptFilter f = filter;
        String shown = f.feed(text);
        if (f.holding()) {
            // If nothing follows, the held piece was output, not a prompt: release it shortly.
            long generation = ++heldSince;
            Thread.ofVirtual().start(() -> {
                sleep(20);
                rt.poller().submit(() -> {
                    if (heldSince == generation && f.holding()) {
                        log.append(new ContextServerFrame.Output(source, f.flush()));
                    }
                });
            });
        }
        if (!shown.isEmpty()) {
            log.append(new ContextServerFrame.Output(source, shown));
        }
        if (seen > 0) {
            ready.complete(null);
            String request = pendingRequest;
            if (request != null) {
                pendingRequest = null;
                log.append(ContextServerFrame.Done.request(request));
            }
        }
    }

    @Override
    protected void exited(ExitStatus status) {
        ready.complete(null);
    }

    @Override
    protected void pending(String requestId) {
        pendingRequest = requestId;
    }

    @Override
    public ContextExecResponse exec(String data) {
        long deadline = deadline();
        return underExecLock(deadline, () -> {
            liveRun(true);
            if (!awaitReady(deadline)) {
                throw timeout();
            }
            Run run = liveRun(true);
            String input = withNewline(data);
            // After a resize the REPL may redraw its prompt at any time (CPython even waits for the next input
            // byte to notice SIGWINCH), and a redrawn prompt would look like this input's end: no fast path.
            boolean redraw = redrawPending;
            redrawPending = false;
            ExecCapture c = ExecCapture.forRepl(rt.outputMaxChars(), profile, input, atPrompt && !redraw);
            captured(c, deadline, () -> {
                if (run.process().exit() != null) {
                    c.onExit(run.process().exit());
                }
                write(run, input);
            });
            String out = c.text();
            String token = profile.prompt();
            if (token != null) {
                if (out.endsWith(token)) {
                    out = out.substring(0, out.length() - token.length());
                }
                out = token + out; // upstream output_raw starts with the prompt the input was typed at
            }
            return execResult(out, c);
        });
    }

    private static String withNewline(String data) {
        return data.endsWith("\n") || data.endsWith("\r") ? data : data + "\n";
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
