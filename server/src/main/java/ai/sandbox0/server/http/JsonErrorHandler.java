package ai.sandbox0.server.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty raises before or around our routing (a malformed request line, headers too large, a
 * URI it refuses) still leave as the JSON envelope, never as an HTML page.
 */
public final class JsonErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() >= 400 ? response.getStatus() : 500;
        Object message = request.getAttribute(ERROR_MESSAGE);
        var reply = ErrorReplies.envelope(status, ErrorReplies.codeFor(status), message(status, message), null);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, ErrorReplies.JSON);
        response.write(true, ByteBuffer.wrap(reply.body()), callback);
        return true;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, ErrorReplies.JSON);
        return ByteBuffer.wrap(ErrorReplies.envelope(status, ErrorReplies.codeFor(status), message(status, reason), null).body());
    }

    private static String message(int status, Object detail) {
        String reason = HttpStatus.getMessage(status);
        // Jetty's own texts can name internal classes when an exception escaped; keep only its short reasons.
        if (detail instanceof String s && !s.isBlank() && s.length() < 200 && !s.contains("Exception")) {
            return s;
        }
        return reason == null ? "request failed" : reason.toLowerCase();
    }
}
