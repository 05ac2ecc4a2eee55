package ai.sandbox0.procd.rpc.function;

import ai.sandbox0.procd.Log;
import ai.sandbox0.procd.function.FunctionInvocation;
import ai.sandbox0.procd.function.FunctionProcess;
import ai.sandbox0.procd.function.FunctionRunner;
import ai.sandbox0.procd.function.FunctionSockets;
import ai.sandbox0.procd.function.HarnessFrames;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Ndjson;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import ai.sandbox0.procd.json.FunctionJson;
import ai.sandbox0.procd.sys.ExitStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * POST /functions/ws: the server half of a function WebSocket as NDJSON, the way procd serves every
 * WebSocket (the JDK's server cannot upgrade a connection; the gateway owns the socket). The body is
 * the invocation; {@code async def handler(request, ws)} runs for as long as the socket lives. Lines:
 * {@code text}, {@code binary} (base64) and a last {@code close} with the code for the client (1000
 * when the handler returned or closed, 1011 when it raised). The stream id is in the
 * {@code Sandbox0-Function-Stream} header; client frames go to /functions/ws/{stream}.
 */
public final class OpenFunctionSocket implements Rpc {

    public static final String STREAM_HEADER = "Sandbox0-Function-Stream";
    private static final long GRACE_MILLIS = 2_000;

    private final FunctionRunner runner;
    private final FunctionSockets sockets;

    public OpenFunctionSocket(FunctionRunner runner, FunctionSockets sockets) {
        this.runner = runner;
        this.sockets = sockets;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        byte[] body = call.bytes();
        FunctionInvocation invocation = FunctionInvocation.parse(body);
        FunctionProcess p = runner.start(invocation, body, FunctionRunner.Mode.WEBSOCKET);
        String id = sockets.add(p);
        try (Ndjson out = Ndjson.open(call.exchange(), STREAM_HEADER, id)) {
            relay(out, invocation, p);
        } catch (IOException gone) {
            // the gateway dropped the stream: the client is gone
        } finally {
            sockets.remove(id);
            p.finish(GRACE_MILLIS);
        }
        return Reply.SENT;
    }

    private static void relay(Ndjson out, FunctionInvocation invocation, FunctionProcess p)
            throws IOException, InterruptedException {
        while (true) {
            FunctionProcess.Event event = p.next(Ndjson.KEEPALIVE_MILLIS);
            switch (event) {
                case null -> out.keepAlive();
                case FunctionProcess.Said(HarnessFrames.Frame f) when f.type() == HarnessFrames.TEXT ->
                        out.line(FunctionJson.textFrame(new String(f.payload(), StandardCharsets.UTF_8)));
                case FunctionProcess.Said(HarnessFrames.Frame f) when f.type() == HarnessFrames.BINARY ->
                        out.line(FunctionJson.binaryFrame(f.payload()));
                case FunctionProcess.Said(HarnessFrames.Frame f) when f.type() == HarnessFrames.CLOSE -> {
                    Map.Entry<Integer, String> close = FunctionJson.close(f.payload());
                    out.line(FunctionJson.closeFrame(close.getKey(), close.getValue()));
                    return;
                }
                case FunctionProcess.Said(HarnessFrames.Frame f) -> {
                    if (f.type() == HarnessFrames.FAILED) {
                        p.awaitExit(500);
                    }
                    Log.warn("function " + invocation.label() + " WebSocket failed: "
                            + InvokeFunction.text(f.payload()) + InvokeFunction.tail(p), null);
                    out.line(FunctionJson.closeFrame(1011, "function failed"));
                    return;
                }
                case FunctionProcess.Overflowed o -> {
                    out.line(FunctionJson.closeFrame(1009, "message too big"));
                    return;
                }
                case FunctionProcess.Exited(ExitStatus status) -> {
                    Log.warn("function " + invocation.label() + " WebSocket ended: exited ("
                            + InvokeFunction.describe(status) + ")" + InvokeFunction.tail(p), null);
                    out.line(FunctionJson.closeFrame(1011, "function exited"));
                    return;
                }
            }
            out.flush();
        }
    }
}
