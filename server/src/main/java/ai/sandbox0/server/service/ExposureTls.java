package ai.sandbox0.server.service;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The services exposure listener's certificate (typically a wildcard for {@code *.<region>.<root domain>}):
 * a PEM certificate chain and a PEM private key (RSA, EC or Ed25519; PKCS#8 or the traditional
 * {@code RSA/EC PRIVATE KEY} form, unencrypted) read into a Jetty {@link SslContextFactory.Server}.
 *
 * <p>While started (as a bean of the Jetty server) it polls both files and, once a changed pair has stayed
 * the same for two polls (so a pair being written is not taken half-way), swaps it in with
 * {@link SslContextFactory#reload}: new connections get the new certificate, open ones keep theirs, nothing
 * restarts. A pair that does not load (missing file, not PEM, key of another certificate) is logged without
 * any key material and the certificate in use keeps serving.
 */
public final class ExposureTls extends AbstractLifeCycle {

    private static final Logger LOG = LoggerFactory.getLogger(ExposureTls.class);
    public static final Duration POLL_INTERVAL = Duration.ofSeconds(2);
    private static final String ALIAS = "exposure";
    /** Protects only the in-memory key store handed to Jetty; nothing is written anywhere. */
    private static final String STORE_PASSWORD = "in-memory";
    private static final Map<ASN1ObjectIdentifier, String> KEY_ALGORITHMS = Map.of(
            PKCSObjectIdentifiers.rsaEncryption, "RSA",
            X9ObjectIdentifiers.id_ecPublicKey, "EC",
            EdECObjectIdentifiers.id_Ed25519, "Ed25519",
            EdECObjectIdentifiers.id_Ed448, "Ed448");

    private final Path chainFile;
    private final Path keyFile;
    private final Duration pollInterval;
    private final SslContextFactory.Server sslContextFactory = new SslContextFactory.Server();
    private final ReentrantLock reloading = new ReentrantLock();
    /** Content digest of the pair in use, of the pair seen at the last poll, and of the last one refused. */
    private byte[] applied;
    private byte[] seen;
    private byte[] refused;
    private KeyStore store;
    private volatile X509Certificate certificate;
    private Thread watcher;

    /**
     * Reads the pair at once: a start with a pair that does not load fails, naming the file and what is
     * wrong with it (never its content).
     */
    public ExposureTls(Path certificateChain, Path privateKey) {
        this(certificateChain, privateKey, POLL_INTERVAL);
    }

    public ExposureTls(Path certificateChain, Path privateKey, Duration pollInterval) {
        this.chainFile = Objects.requireNonNull(certificateChain, "certificateChain");
        this.keyFile = Objects.requireNonNull(privateKey, "privateKey");
        this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
        PairFiles files;
        Pair pair;
        KeyStore store;
        try {
            files = PairFiles.read(chainFile, keyFile);
            pair = Pair.parse(files, chainFile, keyFile);
            store = pair.keyStore();
        } catch (BrokenPair e) {
            throw new IllegalArgumentException("services TLS: " + e.getMessage());
        }
        this.store = store;
        sslContextFactory.setKeyStore(store);
        sslContextFactory.setKeyStorePassword(STORE_PASSWORD);
        sslContextFactory.setKeyManagerPassword(STORE_PASSWORD);
        // HTTP/2 forbids some cipher suites TLS 1.2 allows: offer the allowed ones first.
        sslContextFactory.setCipherComparator(HTTP2Cipher.COMPARATOR);
        applied = files.digest();
        seen = applied;
        certificate = pair.chain().getFirst();
        LOG.info("services TLS: serving {}", describe(certificate));
    }

    /** What the exposure connector encrypts with; its certificate changes as the files do. */
    public SslContextFactory.Server sslContextFactory() {
        return sslContextFactory;
    }

    /** The leaf certificate new connections get. */
    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * One poll: reads both files and swaps their pair in when they changed and have stayed the same since the
     * previous poll. Returns whether the certificate changed.
     */
    boolean poll() {
        reloading.lock();
        try {
            PairFiles files = null;
            BrokenPair unreadable = null;
            byte[] digest;
            try {
                files = PairFiles.read(chainFile, keyFile);
                digest = files.digest();
            } catch (BrokenPair e) {
                unreadable = e;
                digest = e.getMessage().getBytes(StandardCharsets.UTF_8);
            }
            boolean settled = Arrays.equals(digest, seen);
            seen = digest;
            if (Arrays.equals(digest, applied) || !settled || Arrays.equals(digest, refused)) {
                return false;
            }
            try {
                if (unreadable != null) {
                    throw unreadable;
                }
                Pair pair = Pair.parse(files, chainFile, keyFile);
                KeyStore next = pair.keyStore();
                try {
                    sslContextFactory.reload(factory -> factory.setKeyStore(next));
                } catch (Exception e) {
                    // Jetty has dropped the old context by now: build it again from the pair in use.
                    KeyStore previous = store;
                    sslContextFactory.reload(factory -> factory.setKeyStore(previous));
                    throw e;
                }
                store = next;
                applied = digest;
                refused = null;
                certificate = pair.chain().getFirst();
                LOG.info("services TLS: reloaded, now serving {}", describe(certificate));
                return true;
            } catch (BrokenPair e) {
                refused = digest;
                LOG.warn("services TLS: not reloading ({}); still serving {}", e.getMessage(), describe(certificate));
                return false;
            } catch (Exception e) {
                refused = digest;
                LOG.warn("services TLS: not reloading ({}); still serving {}", e.getClass().getSimpleName(),
                        describe(certificate));
                return false;
            }
        } finally {
            reloading.unlock();
        }
    }

    @Override
    protected void doStart() {
        watcher = Thread.ofVirtual().name("services-tls-watch").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(pollInterval);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    poll();
                } catch (RuntimeException e) {
                    LOG.warn("services TLS: checking {} and {} failed: {}", chainFile, keyFile,
                            e.getClass().getSimpleName());
                }
            }
        });
    }

    @Override
    protected void doStop() throws InterruptedException {
        Thread w = watcher;
        if (w != null) {
            w.interrupt();
            w.join(Duration.ofSeconds(5));
            watcher = null;
        }
    }

    @Override
    public String toString() {
        return "ExposureTls[" + chainFile + ", " + keyFile + "]";
    }

    private static String describe(X509Certificate leaf) {
        String expiry = leaf.getNotAfter().toInstant().isBefore(Instant.now()) ? " (EXPIRED)" : "";
        return "'" + leaf.getSubjectX500Principal().getName() + "' serial " + leaf.getSerialNumber().toString(16)
                + " valid until " + leaf.getNotAfter().toInstant() + expiry;
    }

    /** Why a pair cannot be used; messages name files and problems, never their content. */
    private static final class BrokenPair extends Exception {
        BrokenPair(String message) {
            super(message, null, false, false);
        }
    }

    /** The two files' bytes as read together. */
    private record PairFiles(byte[] chain, byte[] key) {

        static PairFiles read(Path chainFile, Path keyFile) throws BrokenPair {
            return new PairFiles(bytes(chainFile), bytes(keyFile));
        }

        private static byte[] bytes(Path file) throws BrokenPair {
            try {
                return Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new BrokenPair(file + " does not exist");
            } catch (IOException e) {
                throw new BrokenPair(file + " cannot be read: " + e.getClass().getSimpleName());
            }
        }

        byte[] digest() {
            try {
                var sha = MessageDigest.getInstance("SHA-256");
                sha.update(chain);
                sha.update((byte) 0);
                sha.update(key);
                return sha.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A certificate chain (leaf first) and the leaf's private key, checked to belong together. */
    private record Pair(List<X509Certificate> chain, PrivateKey key) {

        static Pair parse(PairFiles files, Path chainFile, Path keyFile) throws BrokenPair {
            List<X509Certificate> chain = certificates(files.chain(), chainFile);
            PrivateKey key = privateKey(files.key(), keyFile);
            if (!belongTogether(key, chain.getFirst())) {
                throw new BrokenPair("the key in " + keyFile + " is not the key of the first certificate in "
                        + chainFile);
            }
            return new Pair(chain, key);
        }

        KeyStore keyStore() throws BrokenPair {
            try {
                var store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry(ALIAS, key, STORE_PASSWORD.toCharArray(), chain.toArray(X509Certificate[]::new));
                // What Jetty will do with it: a key it cannot use fails here, before anything is swapped.
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm())
                        .init(store, STORE_PASSWORD.toCharArray());
                return store;
            } catch (GeneralSecurityException | IOException e) {
                throw new BrokenPair("the pair cannot be used for TLS: " + e.getClass().getSimpleName());
            }
        }

        private static List<X509Certificate> certificates(byte[] pem, Path file) throws BrokenPair {
            var converter = new JcaX509CertificateConverter();
            var chain = new ArrayList<X509Certificate>();
            try (var parser = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
                for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                    if (item instanceof X509CertificateHolder holder) {
                        chain.add(converter.getCertificate(holder));
                    }
                }
            } catch (IOException | CertificateException | RuntimeException e) {
                throw new BrokenPair(file + " is not a PEM certificate chain");
            }
            if (chain.isEmpty()) {
                throw new BrokenPair(file + " holds no PEM certificate");
            }
            return List.copyOf(chain);
        }

        private static PrivateKey privateKey(byte[] pem, Path file) throws BrokenPair {
            PrivateKeyInfo info = null;
            try (var parser = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
                for (Object item = parser.readObject(); item != null && info == null; item = parser.readObject()) {
                    switch (item) {
                        case PEMKeyPair pair -> info = pair.getPrivateKeyInfo();
                        case PrivateKeyInfo plain -> info = plain;
                        case PEMEncryptedKeyPair encrypted -> throw encrypted(file);
                        case PKCS8EncryptedPrivateKeyInfo encrypted -> throw encrypted(file);
                        default -> {
                            // EC parameters, certificates: not the key.
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                throw new BrokenPair(file + " is not a PEM private key");
            }
            if (info == null) {
                throw new BrokenPair(file + " holds no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
            }
            String algorithm = KEY_ALGORITHMS.get(info.getPrivateKeyAlgorithm().getAlgorithm());
            if (algorithm == null) {
                throw new BrokenPair(file + " holds a key of an unsupported algorithm (RSA, EC or Ed25519 are)");
            }
            try {
                // The JDK's own key classes: what its TLS implementation signs handshakes with.
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
            } catch (GeneralSecurityException | IOException e) {
                throw new BrokenPair(file + " holds a damaged " + algorithm + " key");
            }
        }

        private static BrokenPair encrypted(Path file) {
            return new BrokenPair(file + " holds an encrypted key; give it unencrypted (file mode 0600)");
        }

        /** Signs a random message with the key and verifies it with the certificate. */
        private static boolean belongTogether(PrivateKey key, X509Certificate leaf) {
            String algorithm = switch (key.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                default -> key.getAlgorithm(); // EdDSA, Ed25519, Ed448 sign as themselves
            };
            try {
                byte[] message = new byte[32];
                new SecureRandom().nextBytes(message);
                var signer = Signature.getInstance(algorithm);
                signer.initSign(key);
                signer.update(message);
                byte[] signature = signer.sign();
                var verifier = Signature.getInstance(algorithm);
                verifier.initVerify(leaf.getPublicKey());
                verifier.update(message);
                return verifier.verify(signature);
            } catch (GeneralSecurityException | RuntimeException e) {
                return false;
            }
        }
    }
}
