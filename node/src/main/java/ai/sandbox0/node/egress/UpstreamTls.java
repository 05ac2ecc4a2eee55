package ai.sandbox0.node.egress;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * How the proxy re-originates an inspected flow's TLS: to the original destination with the client's SNI,
 * the destination's certificate verified (chain and host name) against the JDK's trust store plus the CAs
 * the operator adds, and a client certificate when a {@code tls_client_certificate} binding applies.
 */
final class UpstreamTls {

    private final TrustManagerFactory trust;
    private final Map<List<String>, SslContext> anonymous = new ConcurrentHashMap<>();

    /** @param extraCas CAs trusted besides the JDK's (an on-premises CA, a test CA) */
    UpstreamTls(List<X509Certificate> extraCas) {
        try {
            Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
            KeyStore store = KeyStore.getInstance(cacerts.toFile(), (char[]) null);
            for (int i = 0; i < extraCas.size(); i++) {
                store.setCertificateEntry("s0-extra-" + i, extraCas.get(i));
            }
            trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up the egress proxy's upstream TLS: " + e.getMessage(), e);
        }
    }

    static UpstreamTls withDefaults() {
        return new UpstreamTls(List.of());
    }

    /** A context without a client certificate, offering {@code alpn} (HTTP/1.1 when empty). */
    SslContext context(List<String> alpn) {
        return anonymous.computeIfAbsent(List.copyOf(alpn), protocols -> {
            try {
                return builder(protocols).build();
            } catch (SSLException e) {
                throw new IllegalStateException("cannot set up the egress proxy's upstream TLS: " + e.getMessage(), e);
            }
        });
    }

    SslContext context() {
        return context(List.of());
    }

    /**
     * A context presenting {@code certificate}, offering {@code alpn}.
     *
     * @throws IllegalArgumentException when the PEM material does not hold a certificate chain and its key
     */
    SslContext context(EgressMaterial.ClientCertificate certificate, List<String> alpn) {
        try {
            List<X509Certificate> chain = certificates(certificate.certificatePem());
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("the client certificate material holds no certificate");
            }
            return builder(alpn).keyManager(privateKey(certificate.privateKeyPem()), chain).build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("the client certificate material is unusable: " + e.getMessage(), e);
        }
    }

    private SslContextBuilder builder(List<String> alpn) {
        return SslContextBuilder.forClient()
                .trustManager(trust)
                .endpointIdentificationAlgorithm("HTTPS")
                .protocols("TLSv1.3", "TLSv1.2")
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        alpn.isEmpty() ? List.of(ApplicationProtocolNames.HTTP_1_1) : alpn));
    }

    /** The certificates of a PEM file (the {@code egressTrustedCaFile} knob). */
    static List<X509Certificate> readCertificates(Path file) throws IOException {
        try {
            return certificates(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    static List<X509Certificate> certificates(String pem) {
        try {
            Collection<? extends java.security.cert.Certificate> all = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            var out = new ArrayList<X509Certificate>();
            all.forEach(c -> out.add((X509Certificate) c));
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not PEM certificates: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(String pem) {
        try (var parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            var converter = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IllegalArgumentException("the client certificate material holds no private key");
        } catch (IOException e) {
            throw new IllegalArgumentException("the client certificate's key does not read as PEM", e);
        }
    }
}
