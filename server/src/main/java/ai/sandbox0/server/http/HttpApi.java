package ai.sandbox0.server.http;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * The HTTP listener: Jetty core on virtual threads. Concurrency is capped (unbounded virtual threads
 * can still exhaust memory) and stopping lets in-flight requests finish within the grace period.
 */
public final class HttpApi implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;
    private final GracefulHandler graceful;
    private final InetSocketAddress listen;
    private final long stopGraceMillis;

    public HttpApi(InetSocketAddress listen, Handler handler, int maxConcurrentRequests, long stopGraceMillis) {
        this.listen = listen;
        this.stopGraceMillis = stopGraceMillis;
        var threads = new VirtualThreadPool(maxConcurrentRequests);
        threads.setName("http");
        server = new Server(threads);
        var config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        config.setRequestHeaderSize(16 * 1024);
        connector = new ServerConnector(server, new HttpConnectionFactory(config));
        connector.setHost(listen.getHostString());
        connector.setPort(listen.getPort());
        connector.setIdleTimeout(120_000);
        server.addConnector(connector);
        graceful = new GracefulHandler(handler);
        server.setHandler(graceful);
        // Context and watch streams stay open as long as the client wants: no idle deadline.
        var webSockets = ServerWebSocketContainer.ensure(server);
        webSockets.setIdleTimeout(Duration.ZERO);
        webSockets.setMaxTextMessageSize(16 * 1024 * 1024);
        server.setErrorHandler(new JsonErrorHandler());
        // Jetty's own graceful stop also waits for idle keep-alive connections to go away, which clients
        // may never do; close() waits for in-flight requests only, then stops at once.
        server.setStopTimeout(0);
        server.setStopAtShutdown(false);
    }

    public void start() {
        try {
            server.start();
        } catch (IOException e) {
            stopQuietly();
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new IllegalStateException("cannot listen on " + hostPort() + ": " + rootMessage(e), e);
            }
            throw new IllegalStateException("cannot start the HTTP listener on " + hostPort() + ": " + rootMessage(e), e);
        } catch (Exception e) {
            stopQuietly();
            throw new IllegalStateException("cannot start the HTTP listener on " + hostPort() + ": " + rootMessage(e), e);
        }
    }

    /** The bound port (useful when asked for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Refuses new requests (503), waits up to the grace period for in-flight ones, then closes every connection. */
    @Override
    public void close() {
        try {
            graceful.shutdown().get(stopGraceMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // in-flight requests past the grace period are cut off by the stop below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // the stop below still runs
        }
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("HTTP listener did not stop cleanly", e);
        }
    }

    private void stopQuietly() {
        try {
            server.stop();
        } catch (Exception ignored) {
            // already failing to start; the start error is the one to report
        }
    }

    private String hostPort() {
        return listen.getHostString() + ":" + listen.getPort();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
