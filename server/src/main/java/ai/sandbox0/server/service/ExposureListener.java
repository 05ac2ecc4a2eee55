package ai.sandbox0.server.service;

import ai.sandbox0.server.ServerConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * The public services listener: a Jetty server of its own, apart from the API's, so that public traffic can
 * never reach an API route and a flood of it cannot take the API's threads. HTTP/1.1 and h2c in cleartext,
 * or h2 and HTTP/1.1 by ALPN under a reloadable certificate ({@link ExposureConnector}).
 */
public final class ExposureListener implements AutoCloseable {

    /** A public connection with nothing moving for this long is closed. */
    private static final Duration IDLE = Duration.ofMinutes(5);

    private final Server server;
    private final ServerConnector connector;
    private final InetSocketAddress listen;

    public ExposureListener(ServerConfig.Exposure settings, Handler handler, int maxConcurrentRequests) {
        this.listen = settings.listen();
        var threads = new VirtualThreadPool(maxConcurrentRequests);
        threads.setName("exposure");
        server = new Server(threads);
        connector = ExposureConnector.add(server, listen.getHostString(), listen.getPort(), settings.tls());
        connector.setIdleTimeout(IDLE.toMillis());
        server.setHandler(handler);
        var webSockets = ServerWebSocketContainer.ensure(server);
        webSockets.setIdleTimeout(Duration.ZERO);
        webSockets.setMaxTextMessageSize(64L * 1024 * 1024);
        webSockets.setMaxBinaryMessageSize(64L * 1024 * 1024);
        server.setStopTimeout(0);
        server.setStopAtShutdown(false);
    }

    public void start() {
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // the start failure is the one to report
            }
            throw new IllegalStateException("cannot listen for public services on " + listen.getHostString() + ":"
                    + listen.getPort() + ": " + e.getMessage(), e);
        }
    }

    /** The bound port (useful when asked for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
