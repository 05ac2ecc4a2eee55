package ai.sandbox0.server.service;

import ai.sandbox0.server.ServerConfig;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;

/**
 * The listener public service URLs arrive on. Cleartext, it speaks HTTP/1.1 and h2c (an HTTP/1.1 upgrade or
 * HTTP/2 with prior knowledge), for a TLS-terminating proxy in front; with TLS, HTTP/2 or HTTP/1.1 as the
 * client's ALPN chooses, under a certificate that {@link ExposureTls} reloads when its files change.
 */
public final class ExposureConnector {

    private ExposureConnector() {
    }

    /**
     * Adds the listener to {@code server} (not started yet); {@code tls} null serves cleartext. The certificate
     * files are read at once (a pair that does not load is an {@link IllegalArgumentException} naming the file)
     * and watched while the server runs.
     */
    public static ServerConnector add(Server server, String host, int port, ServerConfig.Exposure.Tls tls) {
        return add(server, host, port, tls == null ? null : new ExposureTls(tls.certificateChain(), tls.privateKey()));
    }

    /** As {@link #add(Server, String, int, ServerConfig.Exposure.Tls)}, with the certificate already loaded. */
    public static ServerConnector add(Server server, String host, int port, ExposureTls tls) {
        var config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        config.setRequestHeaderSize(16 * 1024);
        ServerConnector connector;
        if (tls == null) {
            connector = new ServerConnector(server, new HttpConnectionFactory(config),
                    new HTTP2CServerConnectionFactory(config));
        } else {
            config.setSecureScheme("https");
            // A request whose SNI named a host of the certificate must be for that host (no domain fronting).
            config.addCustomizer(new SecureRequestCustomizer(false, true, -1, false));
            var http1 = new HttpConnectionFactory(config);
            // ALPN ids are lowercase ("HTTP/1.1", Jetty's name for the factory, would never match a client).
            var alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
            alpn.setDefaultProtocol(http1.getProtocol());
            connector = new ServerConnector(server, new SslConnectionFactory(tls.sslContextFactory(), alpn.getProtocol()),
                    alpn, new HTTP2ServerConnectionFactory(config), http1);
            // Started and stopped with the server: the file watcher runs while it does.
            server.addBean(tls, true);
        }
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(120_000);
        server.addConnector(connector);
        return connector;
    }
}
