package ai.sandbox0.procd.rpc.function;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.Log;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.function.FunctionInvocation;
import ai.sandbox0.procd.function.FunctionProcess;
import ai.sandbox0.procd.function.FunctionRunner;
import ai.sandbox0.procd.function.HarnessFrames;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import ai.sandbox0.procd.json.FunctionJson;
import ai.sandbox0.procd.json.JsonProblem;
import ai.sandbox0.procd.sys.ExitStatus;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * POST /functions/invoke: runs a Sandbox Function once for one public request and answers with the
 * function's own response (status, headers, body), which the gateway relays unchanged. A streamed
 * (SSE) body goes out chunk by chunk as the function yields it; any other body is collected first, so
 * an oversized one is still a clean 502. procd's own failures are the usual error envelope.
 */
public final class InvokeFunction implements Rpc {

    /** On every response the function produced (not on procd's errors): the gateway may strip it. */
    public static final String FUNCTION_RESPONSE_HEADER = "Sandbox0-Function-Response";
    /** Framing and hop-by-hop headers are procd's to set, whatever the function says. */
    private static final Set<String> NOT_FORWARDED = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "upgrade", "te", "trailer", "proxy-connection", "date");
    private static final long GRACE_MILLIS = 2_000;
    private static final long TAIL_WAIT_MILLIS = 500;

    private final FunctionRunner runner;

    public InvokeFunction(FunctionRunner runner) {
        this.runner = runner;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        byte[] body = call.bytes();
        FunctionInvocation invocation = FunctionInvocation.parse(body);
        long deadline = System.nanoTime() + invocation.timeoutMillis() * 1_000_000L;
        FunctionProcess p = runner.start(invocation, body, FunctionRunner.Mode.HTTP);
        p.closeInput();
        try {
            answer(call.exchange(), invocation, p, deadline);
        } finally {
            p.finish(GRACE_MILLIS);
        }
        return Reply.SENT;
    }

    private static void answer(HttpExchange exchange, FunctionInvocation invocation, FunctionProcess p, long deadline)
            throws IOException, InterruptedException {
        HarnessFrames.Frame f = nextFrame(invocation, p, deadline);
        if (f.type() != HarnessFrames.HEAD) {
            p.kill();
            throw invalid("no response head");
        }
        FunctionJson.Head head = head(f.payload(), p);
        if (head.stream()) {
            stream(exchange, invocation, p, head, deadline);
            return;
        }
        // The pieces as the harness sent them, not copied into one array: procd's heap is small.
        List<byte[]> body = new ArrayList<>();
        long size = 0;
        while ((f = nextFrame(invocation, p, deadline)).type() == HarnessFrames.BODY) {
            size += f.payload().length;
            if (size > FunctionRunner.MAX_RESPONSE_BYTES) {
                p.kill();
                throw tooLarge();
            }
            body.add(f.payload());
        }
        if (f.type() != HarnessFrames.END) {
            p.kill();
            throw invalid("unexpected frame from the harness");
        }
        send(exchange, head, body, size);
    }

    /** The harness's next frame of a response; its failure, exit or silence past the deadline is procd's answer. */
    private static HarnessFrames.Frame nextFrame(FunctionInvocation invocation, FunctionProcess p, long deadline)
            throws InterruptedException {
        FunctionProcess.Event event = p.next(millisUntil(deadline));
        switch (event) {
            case null -> {
                p.kill();
                p.awaitExit(TAIL_WAIT_MILLIS);
                Log.warn("function " + invocation.label() + " timed out" + tail(p), null);
                throw new ProcdException(ErrorCode.UNAVAILABLE, 504, "function execution timed out");
            }
            case FunctionProcess.Said(HarnessFrames.Frame f) when f.type() == HarnessFrames.FAILED -> {
                String raised = text(f.payload());
                p.awaitExit(TAIL_WAIT_MILLIS); // the harness exits right after: its traceback is then all read
                Log.warn("function " + invocation.label() + " raised " + raised + tail(p), null);
                throw new ProcdException(ErrorCode.FUNCTION_FAILED, "function execution failed: " + raised);
            }
            case FunctionProcess.Said(HarnessFrames.Frame f) when f.type() == HarnessFrames.INVALID ->
                    throw invalid(text(f.payload()));
            case FunctionProcess.Said(HarnessFrames.Frame f) -> {
                return f;
            }
            case FunctionProcess.Overflowed o -> throw tooLarge();
            case FunctionProcess.Exited(ExitStatus status) -> {
                Log.warn("function " + invocation.label() + " exited without a response (" + describe(status) + ")"
                        + tail(p), null);
                throw new ProcdException(ErrorCode.FUNCTION_FAILED,
                        "function execution failed: the function exited without a response (" + describe(status) + ")");
            }
        }
    }

    /**
     * An SSE body: headers at once, then every chunk flushed as it comes. A stream is bounded by the
     * gateway's own timeout only (30 s by default covers the wait for the head, not a long-lived
     * stream). Past the head, a failure can only end the stream; it is logged.
     */
    private static void stream(HttpExchange exchange, FunctionInvocation invocation, FunctionProcess p,
                               FunctionJson.Head head, long deadline) throws InterruptedException {
        headers(exchange, head);
        try {
            exchange.sendResponseHeaders(head.status(), 0); // chunked
            OutputStream out = exchange.getResponseBody();
            out.flush();
            while (true) {
                FunctionProcess.Event event = p.next(invocation.explicitTimeout() ? millisUntil(deadline) : 15_000);
                switch (event) {
                    case null -> {
                        if (invocation.explicitTimeout()) {
                            p.kill();
                            Log.warn("function " + invocation.label() + " stream timed out", null);
                            return;
                        }
                    }
                    case FunctionProcess.Said(HarnessFrames.Frame f) when f.type() == HarnessFrames.BODY -> {
                        out.write(f.payload());
                        out.flush();
                    }
                    case FunctionProcess.Said(HarnessFrames.Frame f) when f.type() == HarnessFrames.END -> {
                        out.close();
                        return;
                    }
                    case FunctionProcess.Said(HarnessFrames.Frame f) -> {
                        Log.warn("function " + invocation.label() + " stream ended: "
                                + (f.type() == HarnessFrames.FAILED ? "raised " : "") + text(f.payload()) + tail(p), null);
                        return;
                    }
                    case FunctionProcess.Overflowed o -> {
                        Log.warn("function " + invocation.label() + " stream ended: a chunk over the size limit", null);
                        return;
                    }
                    case FunctionProcess.Exited(ExitStatus status) -> {
                        Log.warn("function " + invocation.label() + " stream ended: exited (" + describe(status) + ")"
                                + tail(p), null);
                        return;
                    }
                }
            }
        } catch (IOException clientGone) {
            p.kill();
        }
    }

    private static FunctionJson.Head head(byte[] json, FunctionProcess p) {
        try {
            FunctionJson.Head head = FunctionJson.head(json);
            if (head.status() < 100 || head.status() > 599) {
                throw new JsonProblem("status out of range");
            }
            for (List<String> pair : head.headers()) {
                if (pair == null || pair.size() != 2 || pair.get(0) == null || pair.get(1) == null) {
                    throw new JsonProblem("bad header pair");
                }
            }
            return head;
        } catch (JsonProblem e) {
            p.kill();
            throw invalid("unreadable response head");
        }
    }

    private static void headers(HttpExchange exchange, FunctionJson.Head head) {
        var h = exchange.getResponseHeaders();
        for (List<String> pair : head.headers()) {
            if (!NOT_FORWARDED.contains(pair.get(0).toLowerCase(Locale.ROOT))) {
                h.add(pair.get(0), pair.get(1));
            }
        }
        h.set(FUNCTION_RESPONSE_HEADER, "true");
    }

    private static void send(HttpExchange exchange, FunctionJson.Head head, List<byte[]> body, long size)
            throws IOException {
        headers(exchange, head);
        int status = head.status();
        boolean bodiless = status < 200 || status == 204 || status == 304;
        if (bodiless || size == 0) {
            exchange.sendResponseHeaders(status, -1); // -1: no body (0 would mean chunked)
            return;
        }
        exchange.sendResponseHeaders(status, size);
        OutputStream out = exchange.getResponseBody();
        for (byte[] piece : body) {
            out.write(piece);
        }
    }

    private static long millisUntil(long deadline) {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
    }

    private static ProcdException tooLarge() {
        return new ProcdException(ErrorCode.UNAVAILABLE, 502, "function response is too large");
    }

    private static ProcdException invalid(String why) {
        return new ProcdException(ErrorCode.UNAVAILABLE, 502, "function returned an invalid response: " + why);
    }

    static String text(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        return s.length() > 1000 ? s.substring(0, 1000) + "…" : s;
    }

    static String describe(ExitStatus status) {
        return status.signal() != 0 ? "killed by signal " + status.signal() : "exit status " + status.code();
    }

    /** The function's last output for procd's log (its traceback, its prints). */
    static String tail(FunctionProcess p) {
        String t = p.outputTail();
        return t.isEmpty() ? "" : "\n" + t;
    }
}
