package ai.sandbox0.server.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.ServerConfig;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The exposure listener on a real Jetty server: the wildcard certificate it serves, reloaded from its files
 * without a restart, broken pairs ignored, and HTTP/2 over TLS (ALPN) and in cleartext (h2c).
 */
class ExposureTlsTest {

    private static final String WILDCARD = "*.local.sandbox0.test";
    private static final String HOST = "abc123--p8080.local.sandbox0.test";
    private static final Duration POLL = Duration.ofMillis(100);
    private static TestCertificates.Issued ca;

    @TempDir
    Path dir;
    private Path chain;
    private Path key;
    private Server server;

    @BeforeAll
    static void authority() throws Exception {
        ca = TestCertificates.authority("Sandbox0 Test CA");
    }

    @BeforeEach
    void paths() {
        chain = dir.resolve("tls.crt");
        key = dir.resolve("tls.key");
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void servesTheWildcardCertificateAndSwapsInANewOneWithoutARestart() throws Exception {
        var first = TestCertificates.leaf(ca, "EC", "first", WILDCARD);
        install(first, false);
        var tls = new ExposureTls(chain, key, POLL);
        int port = start(tls);

        X509Certificate served = handshake(port, HOST, "h2", "http/1.1").leaf();
        assertThat(served).isEqualTo(first.certificate());
        assertThat(served.getSubjectX500Principal().getName()).isEqualTo("CN=first");
        assertThat(TestCertificates.subjectAltNames(served)).contains(WILDCARD);

        // An HTTP/2 connection opened before the swap.
        try (HttpClient early = client(HttpClient.Version.HTTP_2);
                HttpClient late = client(HttpClient.Version.HTTP_2)) {
            assertThat(leafOf(get(early, port))).isEqualTo(first.certificate());

            var second = TestCertificates.leaf(ca, "RSA", "second", WILDCARD);
            install(second, true);
            awaitTrue(() -> second.certificate().equals(servedDuringSwap(port)),
                    "the second certificate is served");
            assertThat(tls.certificate()).isEqualTo(second.certificate());
            assertThat(server.isStarted()).isTrue();
            assertThat(((ServerConnector) server.getConnectors()[0]).getLocalPort()).isEqualTo(port);

            // New connections get the new certificate; the open one goes on with the old.
            assertThat(leafOf(get(late, port))).isEqualTo(second.certificate());
            HttpResponse<String> again = get(early, port);
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(leafOf(again)).isEqualTo(first.certificate());
        }
    }

    @Test
    void aBrokenOrHalfWrittenPairIsLoggedAndTheCertificateInUseKeepsServing() throws Exception {
        var good = TestCertificates.leaf(ca, "EC", "good", WILDCARD);
        install(good, false);
        var tls = new ExposureTls(chain, key, POLL);
        int port = start(tls);
        var logs = capture();
        try {
            var other = TestCertificates.leaf(ca, "EC", "other", WILDCARD);
            // The key of another certificate.
            Files.writeString(key, TestCertificates.pem(other.keys().getPrivate()));
            assertStillServes(tls, port, good);
            // A chain cut off half-way, its key the right one for the full file.
            String otherChain = TestCertificates.pem(other.certificate(), ca.certificate());
            Files.writeString(chain, otherChain.substring(0, otherChain.length() / 2));
            assertStillServes(tls, port, good);
            // No key file at all.
            Files.delete(key);
            assertStillServes(tls, port, good);
            // Not PEM.
            Files.writeString(key, "garbage\n");
            assertStillServes(tls, port, good);

            String keyText = TestCertificates.pem(other.keys().getPrivate());
            String keyBody = keyText.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
            assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).hasSizeGreaterThanOrEqualTo(4)
                    .allSatisfy(e -> assertThat(e.getFormattedMessage())
                            .contains("not reloading").contains("still serving 'CN=good'")
                            .doesNotContain("PRIVATE KEY").doesNotContain(keyBody.substring(0, 16)));

            // A good pair again: taken.
            install(other, true);
            awaitTrue(() -> other.certificate().equals(servedDuringSwap(port)), "the repaired pair is served");
        } finally {
            detach(logs);
        }
    }

    @Test
    void aPairThatDoesNotLoadAtStartIsAnErrorNamingTheFileNotItsContent() throws Exception {
        var leaf = TestCertificates.leaf(ca, "EC", "leaf", WILDCARD);
        install(leaf, false);
        var other = TestCertificates.leaf(ca, "EC", "other", WILDCARD);
        String otherKey = TestCertificates.pem(other.keys().getPrivate());
        Files.writeString(key, otherKey);
        assertThatThrownBy(() -> new ExposureTls(chain, key, POLL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key.toString()).hasMessageContaining("is not the key of")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("PRIVATE KEY"));
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> new ExposureTls(chain, key, POLL)).hasMessageContaining(key.toString())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not base64"));
        assertThatThrownBy(() -> new ExposureTls(dir.resolve("missing.crt"), key, POLL))
                .hasMessageContaining("missing.crt does not exist");
        Files.writeString(chain, "");
        assertThatThrownBy(() -> new ExposureTls(chain, key, POLL)).hasMessageContaining("holds no PEM certificate");
    }

    @ParameterizedTest(name = "{0} key, {1}")
    @CsvSource({"RSA, traditional", "RSA, pkcs8", "EC, traditional", "EC, pkcs8", "Ed25519, pkcs8"})
    void keysOfEachKindAndFormServe(String algorithm, String form) throws Exception {
        var leaf = TestCertificates.leaf(ca, algorithm, algorithm.toLowerCase() + "-" + form, WILDCARD);
        Files.writeString(chain, TestCertificates.pem(leaf.certificate(), ca.certificate()));
        String keyPem = form.equals("pkcs8") ? TestCertificates.pkcs8(leaf.keys().getPrivate())
                : TestCertificates.pem(leaf.keys().getPrivate());
        assertThat(keyPem).startsWith(form.equals("pkcs8") ? "-----BEGIN PRIVATE KEY-----"
                : "-----BEGIN " + algorithm + " PRIVATE KEY-----");
        Files.writeString(key, keyPem);
        int port = start(new ExposureTls(chain, key, POLL));
        assertThat(handshake(port, HOST, "h2", "http/1.1").leaf()).isEqualTo(leaf.certificate());
    }

    @Test
    void tlsOffersHttp2AndHttp1ByAlpn() throws Exception {
        install(TestCertificates.leaf(ca, "EC", "alpn", WILDCARD), false);
        int port = start(new ExposureTls(chain, key, POLL));
        assertThat(handshake(port, HOST, "h2", "http/1.1").protocol()).isEqualTo("h2");
        assertThat(handshake(port, HOST, "http/1.1").protocol()).isEqualTo("http/1.1");

        try (HttpClient h2Client = client(HttpClient.Version.HTTP_2);
                HttpClient h1Client = client(HttpClient.Version.HTTP_1_1)) {
            HttpResponse<String> h2 = get(h2Client, port);
            assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(h2.body()).isEqualTo("HTTP/2.0 https");
            HttpResponse<String> h1 = get(h1Client, port);
            assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(h1.body()).isEqualTo("HTTP/1.1 https");
        }
    }

    @Test
    void cleartextServesHttp1AndH2cByUpgradeOrPriorKnowledge() throws Exception {
        server = new Server();
        ExposureConnector.add(server, "127.0.0.1", 0, (ServerConfig.Exposure.Tls) null);
        server.setHandler(new ProtocolEcho());
        server.start();
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        URI uri = URI.create("http://127.0.0.1:" + port + "/");

        try (var h2Client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
                var h1Client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            var upgraded = h2Client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(upgraded.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(upgraded.body()).isEqualTo("HTTP/2.0 http");
            var plain = h1Client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(plain.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(plain.body()).isEqualTo("HTTP/1.1 http");
        }

        // Prior knowledge: the HTTP/2 preface and a SETTINGS frame, answered by the server's SETTINGS.
        try (var socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            socket.getOutputStream().flush();
            byte[] header = socket.getInputStream().readNBytes(9);
            assertThat(header).hasSize(9);
            assertThat(header[3]).as("frame type SETTINGS").isEqualTo((byte) 4);
        }
    }

    @Test
    void theConnectorFactoryReadsTheConfiguredFiles() throws Exception {
        var leaf = TestCertificates.leaf(ca, "EC", "configured", WILDCARD);
        install(leaf, false);
        server = new Server();
        ServerConnector connector = ExposureConnector.add(server, "127.0.0.1", 0, new ServerConfig.Exposure.Tls(chain, key));
        server.setHandler(new ProtocolEcho());
        server.start();
        assertThat(server.getBean(ExposureTls.class).isStarted()).isTrue();
        assertThat(handshake(connector.getLocalPort(), HOST, "h2").leaf()).isEqualTo(leaf.certificate());
        server.stop();
        assertThat(server.getBean(ExposureTls.class).isStopped()).isTrue();
        server = null;
    }

    // ---- helpers

    private void install(TestCertificates.Issued leaf, boolean atomically) throws Exception {
        String chainPem = TestCertificates.pem(leaf.certificate(), ca.certificate());
        String keyPem = TestCertificates.pem(leaf.keys().getPrivate());
        if (!atomically) {
            Files.writeString(chain, chainPem);
            Files.writeString(key, keyPem);
            return;
        }
        // As certificate tools do: each file written aside and renamed into place.
        Path newChain = dir.resolve("tls.crt.new");
        Path newKey = dir.resolve("tls.key.new");
        Files.writeString(newChain, chainPem);
        Files.writeString(newKey, keyPem);
        Files.move(newKey, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.move(newChain, chain, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Polled (settled) twice over the broken files: nothing swapped, the good certificate still served. */
    private static void assertStillServes(ExposureTls tls, int port, TestCertificates.Issued good) throws Exception {
        assertThat(tls.poll()).isFalse();
        assertThat(tls.poll()).isFalse();
        assertThat(tls.poll()).isFalse();
        assertThat(tls.certificate()).isEqualTo(good.certificate());
        assertThat(handshake(port, HOST).leaf()).isEqualTo(good.certificate());
    }

    private int start(ExposureTls tls) throws Exception {
        server = new Server();
        ServerConnector connector = ExposureConnector.add(server, "127.0.0.1", 0, tls);
        server.setHandler(new ProtocolEcho());
        server.start();
        return connector.getLocalPort();
    }

    /** A fresh TLS connection (never a resumed session) with SNI, checked against the test CA and host name. */
    private static Handshake handshake(int port, String sni, String... alpn) throws Exception {
        SSLContext context = ca.trustingContext();
        try (var socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(10_000);
            var params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(sni)));
            params.setEndpointIdentificationAlgorithm("HTTPS");
            if (alpn.length > 0) {
                params.setApplicationProtocols(alpn);
            }
            socket.setSSLParameters(params);
            socket.startHandshake();
            return new Handshake((X509Certificate) socket.getSession().getPeerCertificates()[0],
                    socket.getApplicationProtocol());
        }
    }

    private record Handshake(X509Certificate leaf, String protocol) {
    }

    /**
     * The leaf a new connection gets while a swap may be under way; null when its handshake failed. Jetty's
     * reload rebuilds the context in place and a handshake in that moment can be cut, a gap still to close
     * (a key manager swapped under one context would have none): the check tries again rather than fail.
     */
    private static X509Certificate servedDuringSwap(int port) throws Exception {
        try {
            return handshake(port, HOST).leaf();
        } catch (javax.net.ssl.SSLException cut) {
            return null;
        }
    }

    private static HttpClient client(HttpClient.Version version) throws Exception {
        return HttpClient.newBuilder().version(version).sslContext(ca.trustingContext())
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static HttpResponse<String> get(HttpClient client, int port) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static X509Certificate leafOf(HttpResponse<?> response) throws Exception {
        return (X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0];
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(50);
        }
    }

    private static ListAppender<ILoggingEvent> capture() {
        var appender = new ListAppender<ILoggingEvent>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(ExposureTls.class)).addAppender(appender);
        return appender;
    }

    private static void detach(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(ExposureTls.class)).detachAppender(appender);
    }

    /** Answers with the request's protocol and scheme. */
    private static final class ProtocolEcho extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.getHeaders().put("Content-Type", "text/plain");
            Content.Sink.write(response, true, request.getConnectionMetaData().getProtocol() + " "
                    + request.getHttpURI().getScheme(), callback);
            return true;
        }
    }
}
