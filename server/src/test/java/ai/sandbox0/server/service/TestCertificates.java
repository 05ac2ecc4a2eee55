package ai.sandbox0.server.service;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/** Certificates made for each test run with Bouncy Castle: a test CA and the leaves it signs. */
final class TestCertificates {

    private static final SecureRandom RANDOM = new SecureRandom();

    private TestCertificates() {
    }

    /** A certificate and its key. */
    record Issued(X509Certificate certificate, KeyPair keys) {

        /** A client context that trusts this (CA) certificate only. */
        SSLContext trustingContext() throws GeneralSecurityException, IOException {
            var store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", certificate);
            var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            var context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        }
    }

    static Issued authority(String name) throws Exception {
        KeyPair keys = keys("EC");
        var subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(Instant.now().minus(Duration.ofHours(1))),
                Date.from(Instant.now().plus(Duration.ofDays(2))), subject, keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new Issued(sign(builder, keys.getPrivate()), keys);
    }

    /**
     * A server certificate for {@code dnsNames} and 127.0.0.1 signed by {@code ca}, its key of
     * {@code algorithm} (RSA, EC or Ed25519).
     */
    static Issued leaf(Issued ca, String algorithm, String commonName, String... dnsNames) throws Exception {
        return leaf(ca, algorithm, commonName, true, dnsNames);
    }

    /** As {@link #leaf(Issued, String, String, String...)}, naming 127.0.0.1 only if {@code loopbackIp}. */
    static Issued leaf(Issued ca, String algorithm, String commonName, boolean loopbackIp, String... dnsNames)
            throws Exception {
        KeyPair keys = keys(algorithm);
        var names = new ArrayList<GeneralName>();
        for (String dns : dnsNames) {
            names.add(new GeneralName(GeneralName.dNSName, dns));
        }
        if (loopbackIp) {
            names.add(new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress()));
        }
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                Date.from(Instant.now().minus(Duration.ofHours(1))), Date.from(Instant.now().plus(Duration.ofDays(1))),
                new X500Name("CN=" + commonName), keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
        return new Issued(sign(builder, ca.keys().getPrivate()), keys);
    }

    /** PEM of certificates, or of a key in its traditional form (RSA/EC PRIVATE KEY; PKCS#8 for others). */
    static String pem(Object... objects) throws IOException {
        var out = new StringWriter();
        try (var writer = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                if (o instanceof PrivateKey key && key.getAlgorithm().equals("EC")) {
                    writer.writeObject(sec1(key));
                } else {
                    writer.writeObject(o);
                }
            }
        }
        return out.toString();
    }

    /**
     * An EC key as {@code openssl ecparam -genkey -noout} writes it: SEC 1 with its curve inside (the JDK's
     * PKCS#8 keeps the curve only in the outer algorithm identifier, which the traditional form has not).
     */
    private static PemObject sec1(PrivateKey key) throws IOException {
        var info = PrivateKeyInfo.getInstance(key.getEncoded());
        var inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        var full = new org.bouncycastle.asn1.sec.ECPrivateKey(256, inner.getKey(),
                info.getPrivateKeyAlgorithm().getParameters());
        return new PemObject("EC PRIVATE KEY", full.getEncoded());
    }

    /** PEM of a key as PKCS#8 (PRIVATE KEY). */
    static String pkcs8(PrivateKey key) throws IOException {
        var out = new StringWriter();
        try (var writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(key, null));
        }
        return out.toString();
    }

    static List<String> subjectAltNames(X509Certificate certificate) throws Exception {
        var names = new ArrayList<String>();
        for (List<?> name : certificate.getSubjectAlternativeNames()) {
            names.add(String.valueOf(name.get(1)));
        }
        return names;
    }

    private static KeyPair keys(String algorithm) throws GeneralSecurityException {
        var generator = KeyPairGenerator.getInstance(algorithm);
        switch (algorithm) {
            case "RSA" -> generator.initialize(2048);
            case "EC" -> generator.initialize(new ECGenParameterSpec("secp256r1"));
            default -> { }
        }
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws OperatorCreationException, GeneralSecurityException {
        var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).add(BigInteger.ONE);
    }
}
