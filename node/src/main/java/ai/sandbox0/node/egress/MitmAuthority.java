package ai.sandbox0.node.egress;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The installation's CA for inspected TLS: an ECDSA P-256 key and a self-signed certificate, created on first
 * use in the node's state and kept across restarts, which signs a short-lived leaf per host the sandboxes dial.
 * Sandboxes are given the certificate (never the key, which stays in a root-only file on the host) and trust
 * it; the proxy then presents a leaf for the name the client asked for and reads the traffic.
 */
public final class MitmAuthority {

    static final Duration LEAF_TTL = Duration.ofHours(1);
    /** A leaf this close to its end is replaced rather than handed out. */
    static final Duration RENEW_BEFORE = Duration.ofSeconds(30);
    static final int MAX_LEAVES = 1024;
    private static final Duration CA_TTL = Duration.ofDays(3650);
    private static final String KEY_FILE = "mitm-ca.key";
    private static final String CERT_FILE = "mitm-ca.crt";
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A host's leaf and the server-side TLS contexts presenting it: one offering the client only HTTP/1.1 in
     * ALPN, one only HTTP/2 (whichever the destination chose).
     */
    record Leaf(X509Certificate certificate, SslContext context, SslContext h2Context, Instant notAfter) {

        /** The context offering the client {@code protocol} ({@code h2} or {@code http/1.1}). */
        SslContext context(String protocol) {
            return protocol.equals(ApplicationProtocolNames.HTTP_2) ? h2Context : context;
        }
    }

    private final PrivateKey key;
    private final X509Certificate certificate;
    private final String certificatePem;
    private final Clock clock;
    private final Map<String, Leaf> leaves = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Leaf> eldest) {
            return size() > MAX_LEAVES;
        }
    };

    private MitmAuthority(PrivateKey key, X509Certificate certificate, Clock clock) {
        this.key = key;
        this.certificate = certificate;
        this.certificatePem = pem("CERTIFICATE", encoded(certificate));
        this.clock = clock;
    }

    /**
     * The CA kept in {@code dir} ({@value #KEY_FILE}, owner-only, and {@value #CERT_FILE}), created there when
     * absent.
     *
     * @throws IOException when the files cannot be read or written, or do not hold a CA key and certificate
     */
    public static MitmAuthority loadOrCreate(Path dir) throws IOException {
        return loadOrCreate(dir, Clock.systemUTC());
    }

    static MitmAuthority loadOrCreate(Path dir, Clock clock) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path keyFile = dir.resolve(KEY_FILE);
        Path certFile = dir.resolve(CERT_FILE);
        try {
            if (Files.exists(keyFile) && Files.exists(certFile)) {
                Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
                PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                        unpem(Files.readString(keyFile), "PRIVATE KEY", keyFile)));
                var cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(Files.newInputStream(certFile));
                return new MitmAuthority(key, cert, clock);
            }
            KeyPair pair = newKeyPair();
            Instant now = clock.instant();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.O, "Sandbox0")
                    .addRDN(BCStyle.CN, "Sandbox0 egress CA " + Long.toHexString(RANDOM.nextLong()))
                    .build();
            var utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_TTL)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(b, pair.getPrivate());
            writeOwnerOnly(keyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            Path tmp = certFile.resolveSibling(CERT_FILE + ".tmp");
            Files.writeString(tmp, pem("CERTIFICATE", encoded(cert)));
            Files.move(tmp, certFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new MitmAuthority(pair.getPrivate(), cert, clock);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("the egress CA in " + dir + " is unusable: " + e.getMessage(), e);
        }
    }

    /** The CA certificate, PEM: what sandboxes trust. */
    public String certificatePem() {
        return certificatePem;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * The leaf for {@code host} (a DNS name or an address literal), signed now or reused from the cache while
     * more than {@link #RENEW_BEFORE} of it is left.
     */
    Leaf leaf(String host) {
        String name = host.toLowerCase(java.util.Locale.ROOT);
        Instant now = clock.instant();
        synchronized (leaves) {
            Leaf cached = leaves.get(name);
            if (cached != null && cached.notAfter().minus(RENEW_BEFORE).isAfter(now)) {
                return cached;
            }
        }
        Leaf fresh = newLeaf(name, now);
        synchronized (leaves) {
            leaves.put(name, fresh);
        }
        return fresh;
    }

    /** Hosts with a cached leaf (for tests). */
    int cachedLeaves() {
        synchronized (leaves) {
            return leaves.size();
        }
    }

    private Leaf newLeaf(String host, Instant now) {
        try {
            KeyPair pair = newKeyPair();
            boolean literal = HostPort.isLiteral(host);
            GeneralName san = literal ? new GeneralName(GeneralName.iPAddress, InetAddress.ofLiteral(host).getHostAddress())
                    : new GeneralName(GeneralName.dNSName, host);
            var utils = new JcaX509ExtensionUtils();
            Instant notAfter = now.plus(LEAF_TTL);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(notAfter),
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, host).build(), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san))
                    .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(certificate))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate leaf = sign(b, key);
            SslContext context = serverContext(pair.getPrivate(), leaf, ApplicationProtocolNames.HTTP_1_1);
            SslContext h2 = serverContext(pair.getPrivate(), leaf, ApplicationProtocolNames.HTTP_2);
            return new Leaf(leaf, context, h2, notAfter);
        } catch (GeneralSecurityException | CertIOException | SSLException e) {
            throw new IllegalStateException("cannot sign a leaf for " + host + ": " + e.getMessage(), e);
        }
    }

    private SslContext serverContext(PrivateKey leafKey, X509Certificate leaf, String protocol) throws SSLException {
        return SslContextBuilder.forServer(leafKey, leaf, certificate)
                .protocols("TLSv1.3", "TLSv1.2")
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocol))
                .build();
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey by) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(by)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static byte[] encoded(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] unpem(String text, String type, Path file) {
        int begin = text.indexOf("-----BEGIN " + type + "-----");
        int end = text.indexOf("-----END " + type + "-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(file + " holds no " + type);
        }
        return Base64.getMimeDecoder().decode(text.substring(begin + type.length() + 16, end));
    }

    private static void writeOwnerOnly(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public String toString() {
        return "MitmAuthority[" + certificate.getSubjectX500Principal().getName() + "]";
    }
}
