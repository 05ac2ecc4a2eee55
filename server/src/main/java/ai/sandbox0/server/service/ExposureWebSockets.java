package ai.sandbox0.server.service;

import ai.sandbox0.api.ErrorCode;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * WebSocket upgrades on public routes: the sandbox's WebSocket is opened first (its refusal or absence is the
 * client's answer, before any upgrade), then the client's is accepted with the subprotocol the sandbox chose, and
 * a {@link WebSocketBridge} joins them.
 */
final class ExposureWebSockets extends ContainerLifeCycle {

    /** Headers the two handshakes make for themselves, or that only concern the public hop. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "upgrade", "sec-websocket-key",
            "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept", "sec-websocket-protocol",
            "content-length", "transfer-encoding", "keep-alive", "te", "trailer", "proxy-authorization",
            "proxy-connection");
    private static final long CONNECT_SECONDS = 10;

    private final WebSocketClient client = new WebSocketClient();

    ExposureWebSockets() {
        client.setConnectTimeout(5_000);
        client.setIdleTimeout(java.time.Duration.ZERO);
        client.setMaxTextMessageSize(64L * 1024 * 1024);
        client.setMaxBinaryMessageSize(64L * 1024 * 1024);
        addBean(client);
    }

    static boolean isUpgrade(Request request) {
        String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
        if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
            return true;
        }
        // RFC 8441: a WebSocket over HTTP/2 is an extended CONNECT.
        return "CONNECT".equals(request.getMethod())
                && "websocket".equalsIgnoreCase(request.getHeaders().get(HttpHeader.C_PROTOCOL));
    }

    void bridge(Request request, Response response, Callback callback, URI target) {
        var bridge = new WebSocketBridge();
        var upgrade = new ClientUpgradeRequest(target);
        for (HttpField field : request.getHeaders()) {
            String name = field.getLowerCaseName();
            if (!NOT_FORWARDED.contains(name) && !name.startsWith(":") && !ForwardedIdentity.isClientClaim(name)) {
                upgrade.setHeader(field.getName(), field.getValue());
            }
        }
        ForwardedIdentity.of(request).forEach(upgrade::setHeader);
        List<String> protocols = request.getHeaders().getCSV(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, true);
        if (!protocols.isEmpty()) {
            upgrade.setSubProtocols(protocols);
        }
        Session upstream;
        try {
            upstream = client.connect(bridge.upstreamListener(), upgrade).get(CONNECT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UpgradeException refused && refused.getResponseStatusCode() > 0
                    && refused.getResponseStatusCode() != 101) {
                int status = refused.getResponseStatusCode();
                PublicReplies.error(response, callback, status >= 400 && status < 600 ? status : 502,
                        ErrorCode.UNAVAILABLE, "the sandbox refused the WebSocket upgrade");
            } else {
                PublicReplies.error(response, callback, 502, ErrorCode.UNAVAILABLE, "upstream service unavailable");
            }
            return;
        } catch (TimeoutException e) {
            PublicReplies.error(response, callback, 504, ErrorCode.UNAVAILABLE, "upstream request timed out");
            return;
        } catch (InterruptedException | java.io.IOException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            PublicReplies.error(response, callback, 502, ErrorCode.UNAVAILABLE, "upstream service unavailable");
            return;
        }
        String chosen = upstream.getUpgradeResponse().getAcceptedSubProtocol();
        var container = ServerWebSocketContainer.get(request.getContext());
        boolean upgraded;
        try {
            upgraded = container != null && container.upgrade((rq, rs, cb) -> {
                if (chosen != null) {
                    rs.setAcceptedSubProtocol(chosen);
                }
                return bridge.clientListener();
            }, request, response, callback);
        } catch (RuntimeException e) {
            upgraded = false;
        }
        if (!upgraded) {
            upstream.close();
            PublicReplies.error(response, callback, 400, ErrorCode.BAD_REQUEST, "not a valid WebSocket upgrade");
        }
    }
}
