package ai.sandbox0.server.http;

import ai.sandbox0.api.Envelope;
import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.Json;
import ai.sandbox0.server.auth.Authenticator;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Principal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The API pipeline, one request at a time on its own virtual thread: request id, route lookup
 * (404/405), authentication and permission, the endpoint, and the reply or error envelope. It is the
 * only code that writes API responses.
 */
public final class ApiHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger("sandbox0.http");
    private static final String TEAM_HEADER = "X-Team-ID";
    /** How much of an unmatched path a 404 or 405 quotes back (a path can be up to the 16 KiB header limit). */
    private static final int PATH_ECHO_MAX = 200;

    private final Router router;
    private final Authenticator authenticator;
    private final HttpMetrics metrics;
    private final long maxBodyBytes;

    public ApiHandler(Router router, Authenticator authenticator, HttpMetrics metrics, long maxBodyBytes) {
        super(InvocationType.BLOCKING);
        this.router = router;
        this.authenticator = authenticator;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long started = System.nanoTime();
        String requestId = RequestIds.accept(request.getHeaders().get(RequestIds.HEADER));
        response.getHeaders().put(RequestIds.HEADER, requestId);
        MDC.put("request_id", requestId);
        String method = request.getMethod();
        String path = Request.getPathInContext(request);
        String route = "unmatched";
        Reply reply;
        try {
            reply = switch (router.match(method, path)) {
                case Router.Match.Found found -> {
                    route = found.route().template();
                    yield invoke(found, request, requestId);
                }
                case Router.Match.WrongMethod wrong -> {
                    response.getHeaders().put(HttpHeader.ALLOW, wrong.allow());
                    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, 405,
                            "method " + method + " is not allowed on " + echo(path) + " (allowed: " + wrong.allow() + ")", null);
                }
                case Router.Match.None none -> throw ApiException.notFound("no route for " + method + " " + echo(path));
            };
        } catch (Throwable failure) {
            reply = ErrorReplies.of(failure, requestId);
        }
        try {
            if (!(reply instanceof Reply.Upgrade)) {
                settleUnreadBody(request, response);
            }
            reply = write(reply, request, response, callback, requestId);
        } finally {
            long nanos = System.nanoTime() - started;
            metrics.record(method, route, reply.status(), nanos);
            logAccess(method, path, reply.status(), nanos);
            MDC.remove("request_id");
        }
        return true;
    }

    private Reply invoke(Router.Match.Found found, Request request, String requestId) throws Exception {
        Route route = found.route();
        Principal principal = null;
        if (!route.open()) {
            principal = authenticator.authenticate(
                    request.getHeaders().get(HttpHeader.AUTHORIZATION), request.getHeaders().get(TEAM_HEADER));
            admit(route.access(), principal);
        }
        return route.endpoint().handle(new Call(request, found.pathParams(), principal, requestId, maxBodyBytes));
    }

    /** The route table's access rule, applied to an authenticated caller. */
    private static void admit(Route.Access access, Principal principal) {
        switch (access) {
            case Route.Access.Open open -> {
            }
            case Route.Access.Authenticated any -> {
            }
            case Route.Access.User user -> {
                if (principal.userId() == null || principal.userId().isBlank()) {
                    throw ApiException.unauthorized("user authentication required");
                }
            }
            case Route.Access.UserSession session -> requireSession(principal);
            case Route.Access.Requires requires -> requirePermission(principal, requires.permission());
            case Route.Access.UserSessionRequires requires -> {
                requireSession(principal);
                requirePermission(principal, requires.permission());
            }
        }
    }

    private static void requireSession(Principal principal) {
        if (!principal.isUserSession()) {
            throw ApiException.forbidden("this endpoint needs a user session (log in); API keys cannot use it");
        }
    }

    private static void requirePermission(Principal principal, Permission permission) {
        if (!principal.may(permission)) {
            throw ApiException.forbidden("insufficient permissions");
        }
        if (principal.teamId() == null) {
            throw ApiException.badRequest("no team selected: send X-Team-ID with one of your teams");
        }
    }

    /**
     * A body the endpoint never read (a 401 before parsing, an endpoint that ignores it) would stay on
     * a kept-alive connection and Jetty would drop that connection after the reply, under a client that
     * is about to reuse it. A small body is drained; otherwise the reply says the connection closes.
     */
    private void settleUnreadBody(Request request, Response response) {
        long length = request.getLength();
        if (length == 0) {
            return;
        }
        if (length > 0 && length <= maxBodyBytes) {
            try {
                Content.Source.consumeAll(request);
                return;
            } catch (IOException | RuntimeException e) {
                // The client went away or sent less than it declared; closing is all that is left.
            }
        }
        if (!request.consumeAvailable()) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
    }

    /** Writes the reply and returns what was actually answered (an upgrade that cannot happen becomes a 400). */
    private static Reply write(Reply reply, Request request, Response response, Callback callback, String requestId) {
        switch (reply) {
            case Reply.Json json -> {
                response.setStatus(json.status());
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, ErrorReplies.JSON);
                response.write(true, ByteBuffer.wrap(Json.write(Envelope.ok(json.data()))), callback);
            }
            case Reply.Raw raw -> {
                response.setStatus(raw.status());
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, raw.contentType());
                raw.headers().forEach((name, value) -> response.getHeaders().put(name, value));
                response.write(true, ByteBuffer.wrap(raw.body()), callback);
            }
            case Reply.Stream stream -> copy(stream, response, callback);
            case Reply.Upgrade upgrade -> {
                var container = ServerWebSocketContainer.get(request.getContext());
                try {
                    if (container != null && container.upgrade(upgrade.creator(), request, response, callback)) {
                        return upgrade;
                    }
                } catch (RuntimeException e) {
                    return write(ErrorReplies.of(e, requestId), request, response, callback, requestId);
                }
                return write(ErrorReplies.envelope(400, "bad_request", "this endpoint needs a WebSocket upgrade", null),
                        request, response, callback, requestId);
            }
        }
        return reply;
    }

    private static void copy(Reply.Stream stream, Response response, Callback callback) {
        response.setStatus(stream.status());
        if (stream.contentType() != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, stream.contentType());
        }
        stream.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        try (InputStream in = stream.body(); OutputStream out = Content.Sink.asOutputStream(response)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                // Streams (watch events, log follows) must reach the client as they come.
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            // The client or the upstream went away mid-body; the status is already sent.
            callback.failed(e);
            return;
        }
        callback.succeeded();
    }

    private static String echo(String path) {
        if (path.length() <= PATH_ECHO_MAX) {
            return path;
        }
        int end = Character.isHighSurrogate(path.charAt(PATH_ECHO_MAX - 1)) ? PATH_ECHO_MAX - 1 : PATH_ECHO_MAX;
        return path.substring(0, end) + "…";
    }

    private static void logAccess(String method, String path, int status, long nanos) {
        // Successful reads are the bulk of traffic; keep them out of the default log level.
        if (status < 400 && method.equals("GET")) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} {} {} {}ms", method, path, status, nanos / 1_000_000);
            }
        } else if (status >= 500) {
            LOG.warn("{} {} {} {}ms", method, path, status, nanos / 1_000_000);
        } else {
            LOG.info("{} {} {} {}ms", method, path, status, nanos / 1_000_000);
        }
    }
}
