package ai.sandbox0.server.service;

import ai.sandbox0.api.ErrorCode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a public request to a port in a sandbox and its answer back, neither buffered (spec §7.4 step 10).
 * The router has already decided the target and the timeout; they travel on the request's attributes.
 * Hop-by-hop headers are dropped both ways (Jetty's proxy does that, per RFC 9110 §7.6.1); the sandbox is told
 * who asked through {@code X-Forwarded-*}, and any such header the client sent is dropped, never trusted.
 */
final class SandboxProxy extends ProxyHandler.Reverse {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxProxy.class);
    static final String TARGET = SandboxProxy.class.getName() + ".target";
    static final String TIMEOUT = SandboxProxy.class.getName() + ".timeout";
    /** A {@link Runnable} told when the sandbox's port could not be reached or failed the exchange. */
    static final String ON_FAILURE = SandboxProxy.class.getName() + ".onFailure";
    /** Without a route timeout a stream (SSE, a long download) may stay quiet this long. */
    private static final Duration UNTIMED_IDLE = Duration.ofHours(1);

    SandboxProxy() {
        super(request -> (HttpURI) request.getAttribute(TARGET));
    }

    /** HTTP/1.1 into the sandbox, which every server speaks; h2c (prior knowledge) for gRPC, which needs HTTP/2. */
    @Override
    protected HttpClient newHttpClient() {
        var connector = new ClientConnector();
        var h2c = new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector));
        var client = new HttpClient(new HttpClientTransportDynamic(connector, HttpClientConnectionFactory.HTTP11, h2c));
        client.setMaxConnectionsPerDestination(1024);
        // Bulk bodies move in fewer, larger reads; the pool keeps buffers that large instead of allocating each.
        client.setByteBufferPool(new ArrayByteBufferPool(0, 4096, 256 * 1024));
        client.setResponseBufferSize(128 * 1024);
        client.setConnectTimeout(5_000);
        client.setIdleTimeout(UNTIMED_IDLE.toMillis());
        return client;
    }

    @Override
    protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxy, HttpURI target) {
        org.eclipse.jetty.client.Request request = super.newProxyToServerRequest(clientToProxy, target);
        // A client that goes away (a reset stream, a failed connection) ends the sandbox's request too.
        clientToProxy.addFailureListener(request::abort);
        if (isGrpc(clientToProxy)) {
            // TE is hop-by-hop, but gRPC servers insist on "te: trailers" on every call.
            request.version(HttpVersion.HTTP_2).headers(h -> h.put(HttpHeader.TE, "trailers"));
        }
        if (clientToProxy.getAttribute(TIMEOUT) instanceof Duration timeout) {
            request.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            request.idleTimeout(UNTIMED_IDLE.toMillis(), TimeUnit.MILLISECONDS);
        }
        return request;
    }

    /** gRPC frames its messages over HTTP/2 and ends with trailers: it cannot be turned into HTTP/1.1. */
    static boolean isGrpc(Request request) {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, "application/grpc".length());
    }

    private static boolean acceptsTrailers(Request request) {
        return isGrpc(request) || request.getHeaders().getCSV(HttpHeader.TE, false).stream()
                .anyMatch(token -> token.equalsIgnoreCase("trailers"));
    }

    @Override
    protected void addProxyHeaders(Request clientToProxy, org.eclipse.jetty.client.Request proxyToServer) {
        proxyToServer.headers(headers -> {
            ForwardedIdentity.clientClaims().forEach(headers::remove);
            ForwardedIdentity.of(clientToProxy).forEach(headers::put);
        });
    }

    /** Also drops the response headers the sandbox's {@code Connection} names: they were meant for this hop only. */
    @Override
    protected org.eclipse.jetty.client.Response.CompleteListener newServerToProxyResponseListener(Request clientToProxy,
            org.eclipse.jetty.client.Request proxyToServer, Response proxyToClient, Callback callback) {
        return new ProxyResponseListener(clientToProxy, proxyToServer, proxyToClient, callback) {
            @Override
            public void onHeaders(org.eclipse.jetty.client.Response serverToProxy) {
                super.onHeaders(serverToProxy);
                for (String token : serverToProxy.getHeaders().getCSV(HttpHeader.CONNECTION, false)) {
                    proxyToClient.getHeaders().remove(token);
                }
                // Trailers (gRPC's status) only to a client that takes them; asked for when the body ends.
                if (acceptsTrailers(clientToProxy)) {
                    proxyToClient.setTrailersSupplier(serverToProxy::getTrailers);
                }
            }
        };
    }

    @Override
    protected void onServerToProxyResponseFailure(Request clientToProxy, org.eclipse.jetty.client.Request proxyToServer,
            org.eclipse.jetty.client.Response serverToProxy, Response proxyToClient, Callback callback,
            Throwable failure) {
        boolean timedOut = failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException;
        LOG.debug("upstream {} failed: {}", proxyToServer.getURI(), failure.toString());
        if (!timedOut && clientToProxy.getAttribute(ON_FAILURE) instanceof Runnable onFailure) {
            onFailure.run();
        }
        if (proxyToClient.isCommitted()) {
            callback.failed(failure);
            return;
        }
        if (timedOut) {
            PublicReplies.error(proxyToClient, callback, 504, ErrorCode.UNAVAILABLE, "upstream request timed out");
        } else {
            PublicReplies.error(proxyToClient, callback, 502, ErrorCode.UNAVAILABLE, "upstream service unavailable");
        }
    }
}
