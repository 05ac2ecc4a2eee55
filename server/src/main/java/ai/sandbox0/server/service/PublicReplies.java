package ai.sandbox0.server.service;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.server.http.ErrorReplies;
import ai.sandbox0.server.http.Reply;
import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** What the exposure listener answers itself (never the sandbox): upstream's error envelope, or an empty reply. */
final class PublicReplies {

    private PublicReplies() {
    }

    static void error(Response response, Callback callback, int status, ErrorCode code, String message) {
        error(response, callback, status, code, message, Map.of());
    }

    static void error(Response response, Callback callback, int status, ErrorCode code, String message,
            Map<String, String> headers) {
        Reply.Raw envelope = ErrorReplies.envelope(status, code.wire(), message, null);
        raw(response, callback, new Reply.Raw(status, envelope.contentType(), envelope.body(), headers));
    }

    /** A failure as the API's one error mapping renders it. */
    static void raw(Response response, Callback callback, Reply.Raw reply) {
        if (response.isCommitted()) {
            callback.failed(new IllegalStateException("response already started"));
            return;
        }
        response.setStatus(reply.status());
        reply.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
        response.write(true, ByteBuffer.wrap(reply.body()), callback);
    }

    static void empty(Response response, Callback callback, int status) {
        response.setStatus(status);
        response.write(true, null, callback);
    }
}
