package ai.sandbox0.server.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/** Clients that reach public services by their public URLs, as a browser or curl on the server's host does. */
final class PublicClients {

    /** Every public host is the server's exposure listener, as {@code *.localhost} is for a browser. */
    private static final SocketAddressResolver LOOPBACK = (host, port, context, promise) ->
            promise.succeeded(List.of(new InetSocketAddress("127.0.0.1", port)));

    private PublicClients() {
    }

    /**
     * HTTP/1.1, started. Redirects are not followed, and route auth's 401s are the test's to read (Jetty's client
     * would treat them as challenges to answer).
     */
    static HttpClient http() throws Exception {
        var client = new HttpClient();
        client.setSocketAddressResolver(LOOPBACK);
        client.setFollowRedirects(false);
        client.setMaxConnectionsPerDestination(64);
        client.start();
        client.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME);
        return client;
    }

    /** HTTP/2 in cleartext with prior knowledge (h2c), started. */
    static HttpClient h2c() throws Exception {
        var client = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
        client.setSocketAddressResolver(LOOPBACK);
        client.start();
        return client;
    }

    /** Reads {@code in} until what was read ends with {@code end}; fails if the stream ends first. */
    static String readUntil(InputStream in, String end) throws Exception {
        var out = new StringBuilder();
        while (!out.toString().endsWith(end)) {
            int b = in.read();
            assertThat(b).as("stream ended after %s", out).isNotNegative();
            out.append((char) b);
        }
        return out.toString();
    }

    /** What a WebSocket client received. Public: Jetty binds listener methods through a lookup of its own. */
    public record Messages(LinkedBlockingQueue<String> texts, LinkedBlockingQueue<ByteBuffer> binaries,
            LinkedBlockingQueue<Integer> closes) implements Session.Listener.AutoDemanding {

        @Override
        public void onWebSocketText(String message) {
            texts.add(message);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            var copy = ByteBuffer.allocate(payload.remaining());
            copy.put(payload).flip();
            binaries.add(copy);
            callback.succeed();
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            closes.add(statusCode);
        }
    }
}
