package ai.sandbox0.procd.rpc.function;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.function.FunctionProcess;
import ai.sandbox0.procd.function.FunctionSockets;
import ai.sandbox0.procd.function.HarnessFrames;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import ai.sandbox0.procd.json.Acknowledged;
import java.util.Locale;

/**
 * POST /functions/ws/{stream}: one client message for the function, the body verbatim: binary when
 * sent as {@code application/octet-stream}, text otherwise. DELETE: the client closed the socket; the
 * handler's {@code async for} ends, and a handler that goes on is killed shortly after.
 */
public final class RelayFunctionFrame implements Rpc {

    private static final long WRITE_TIMEOUT_MILLIS = 2_000;

    private final FunctionSockets sockets;

    public RelayFunctionFrame(FunctionSockets sockets) {
        this.sockets = sockets;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        FunctionProcess p = sockets.get(call.param("stream"));
        if (p == null) {
            throw new ProcdException(ErrorCode.NOT_FOUND, "function stream not found");
        }
        if (call.exchange().getRequestMethod().equals("DELETE")) {
            p.closeInput();
            return Reply.ok(Acknowledged.CLOSED);
        }
        String type = call.header("Content-Type");
        boolean binary = type != null && type.toLowerCase(Locale.ROOT).startsWith("application/octet-stream");
        byte[] data = call.bytes();
        if (!p.send(binary ? HarnessFrames.BINARY : HarnessFrames.TEXT, data, WRITE_TIMEOUT_MILLIS)) {
            throw new ProcdException(ErrorCode.PROCESS_FINISHED, "the function no longer reads its WebSocket");
        }
        return Reply.ok(Acknowledged.ACCEPTED);
    }
}
