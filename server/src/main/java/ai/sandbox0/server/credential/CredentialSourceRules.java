package ai.sandbox0.server.credential;

import ai.sandbox0.api.credential.CredentialSourceResolverKind;
import ai.sandbox0.api.credential.CredentialSourceWriteSpec;
import ai.sandbox0.api.credential.StaticHeadersSourceSpec;
import ai.sandbox0.api.credential.StaticSshPrivateKeySourceSpec;
import ai.sandbox0.api.credential.StaticTlsClientCertificateSourceSpec;
import ai.sandbox0.api.credential.StaticUsernamePasswordSourceSpec;
import ai.sandbox0.server.domain.DomainException.Invalid;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * What a credential source write must satisfy (spec §7.1), and the material it yields. Every refusal is a 400
 * naming the field; none ever quotes a secret value, nor a parser's message (which could).
 */
public final class CredentialSourceRules {

    /** Names are path segments and keys of the store. */
    public static final int MAX_NAME_CHARS = 255;

    private static final Provider BC = new BouncyCastleProvider();
    private static final byte[] PROBE = "sandbox0 key pair check".getBytes(StandardCharsets.US_ASCII);
    private static final String TLS = "spec.staticTLSClientCertificate";
    private static final String SSH = "spec.staticSSHPrivateKey";
    private static final String USER = "spec.staticUsernamePassword";

    private CredentialSourceRules() {
    }

    /** A source name: non-empty, no {@code /}, at most {@link #MAX_NAME_CHARS} characters. */
    public static String checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new Invalid("name is required");
        }
        if (name.contains("/")) {
            throw new Invalid("name must not contain '/'");
        }
        if (name.length() > MAX_NAME_CHARS) {
            throw new Invalid("name must be at most " + MAX_NAME_CHARS + " characters");
        }
        return name;
    }

    /** The material of a write of {@code kind}, from the member of {@code spec} that kind reads. */
    public static CredentialMaterial material(CredentialSourceResolverKind kind, CredentialSourceWriteSpec spec) {
        if (kind == null) {
            throw new Invalid("resolverKind is required");
        }
        if (spec == null) {
            throw new Invalid("spec is required");
        }
        return new CredentialMaterial(kind, switch (kind) {
            case STATIC_HEADERS -> staticHeaders(spec.staticHeaders());
            case STATIC_USERNAME_PASSWORD -> usernamePassword(spec.staticUsernamePassword());
            case STATIC_TLS_CLIENT_CERTIFICATE -> tlsClientCertificate(spec.staticTlsClientCertificate());
            case STATIC_SSH_PRIVATE_KEY -> sshPrivateKey(spec.staticSshPrivateKey());
        });
    }

    private static Map<String, String> staticHeaders(StaticHeadersSourceSpec spec) {
        if (spec == null || spec.values() == null) {
            throw new Invalid("spec.staticHeaders.values is required");
        }
        return spec.values();
    }

    private static Map<String, String> usernamePassword(StaticUsernamePasswordSourceSpec spec) {
        if (spec == null || spec.username() == null || spec.username().isBlank()) {
            throw new Invalid(USER + ".username is required");
        }
        if (spec.password() == null || spec.password().isBlank()) {
            throw new Invalid(USER + ".password is required");
        }
        var values = new LinkedHashMap<String, String>();
        values.put("username", spec.username());
        values.put("password", spec.password());
        return values;
    }

    private static Map<String, String> tlsClientCertificate(StaticTlsClientCertificateSourceSpec spec) {
        if (spec == null || spec.certificatePem() == null || spec.certificatePem().isBlank()) {
            throw new Invalid(TLS + ".certificatePem is required");
        }
        if (spec.privateKeyPem() == null || spec.privateKeyPem().isBlank()) {
            throw new Invalid(TLS + ".privateKeyPem is required");
        }
        List<X509Certificate> chain = certificates(spec.certificatePem());
        if (chain.isEmpty()) {
            throw new Invalid(TLS + ".certificatePem is not a PEM certificate");
        }
        PrivateKey key = privateKey(spec.privateKeyPem());
        if (!pairs(chain.getFirst().getPublicKey(), key)) {
            throw new Invalid(TLS + ": certificatePem and privateKeyPem do not form a key pair (the certificate's"
                    + " public key is not the private key's)");
        }
        boolean hasCa = spec.caPem() != null && !spec.caPem().isBlank();
        if (hasCa && certificates(spec.caPem()).isEmpty()) {
            throw new Invalid(TLS + ".caPem is not a PEM certificate bundle");
        }
        var values = new LinkedHashMap<String, String>();
        values.put("certificatePem", spec.certificatePem());
        values.put("privateKeyPem", spec.privateKeyPem());
        if (hasCa) {
            values.put("caPem", spec.caPem());
        }
        return values;
    }

    private static Map<String, String> sshPrivateKey(StaticSshPrivateKeySourceSpec spec) {
        if (spec == null || spec.privateKeyPem() == null || spec.privateKeyPem().isBlank()) {
            throw new Invalid(SSH + ".privateKeyPem is required");
        }
        boolean hasPassphrase = spec.passphrase() != null && !spec.passphrase().isEmpty();
        checkSshKey(spec.privateKeyPem(), hasPassphrase ? spec.passphrase() : null);
        var values = new LinkedHashMap<String, String>();
        values.put("privateKeyPem", spec.privateKeyPem());
        if (hasPassphrase) {
            values.put("passphrase", spec.passphrase());
        }
        return values;
    }

    /**
     * The certificates of every {@code CERTIFICATE} block, in order; a block that is not a certificate (or text
     * that is not PEM) is a 400 naming the field of {@code pem}.
     */
    private static List<X509Certificate> certificates(String pem) {
        var certificates = new ArrayList<X509Certificate>();
        var converter = new JcaX509CertificateConverter().setProvider(BC);
        try (var parser = new PEMParser(new StringReader(pem))) {
            for (Object block = parser.readObject(); block != null; block = parser.readObject()) {
                if (block instanceof X509CertificateHolder holder) {
                    certificates.add(converter.getCertificate(holder));
                }
            }
            return certificates;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return List.of();
        }
    }

    /** The first private key of {@code pem}: PKCS#1 RSA, SEC 1 EC or PKCS#8, unencrypted (as Go's TLS takes). */
    private static PrivateKey privateKey(String pem) {
        var converter = new JcaPEMKeyConverter().setProvider(BC);
        try (var parser = new PEMParser(new StringReader(pem))) {
            for (Object block = parser.readObject(); block != null; block = parser.readObject()) {
                switch (block) {
                    case PEMKeyPair pair -> {
                        return converter.getKeyPair(pair).getPrivate();
                    }
                    case PrivateKeyInfo info -> {
                        return converter.getPrivateKey(info);
                    }
                    case PEMEncryptedKeyPair encrypted -> throw encryptedTlsKey();
                    case PKCS8EncryptedPrivateKeyInfo encrypted -> throw encryptedTlsKey();
                    default -> {
                        // certificates and parameters beside the key are skipped, as Go's tls.X509KeyPair does
                    }
                }
            }
        } catch (Invalid e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new Invalid(TLS + ".privateKeyPem is not a valid PEM private key");
        }
        throw new Invalid(TLS + ".privateKeyPem is not a valid PEM private key");
    }

    private static Invalid encryptedTlsKey() {
        return new Invalid(TLS + ".privateKeyPem must not be encrypted");
    }

    /** Whether {@code key} signs what {@code publicKey} verifies: they are one key pair, whatever the algorithm. */
    private static boolean pairs(PublicKey publicKey, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519", "ED25519", "EdDSA" -> "Ed25519";
            case "Ed448", "ED448" -> "Ed448";
            default -> throw new Invalid(TLS + ".privateKeyPem holds a key of an unsupported type (RSA, ECDSA and"
                    + " Ed25519 are supported)");
        };
        try {
            Signature signer = Signature.getInstance(algorithm, BC);
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm, BC);
            verifier.initVerify(publicKey);
            verifier.update(PROBE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false; // a public key of another algorithm
        }
    }

    /** An SSH private key (OpenSSH, PEM or PKCS#8, encrypted or not) that opens with {@code passphrase}. */
    private static void checkSshKey(String pem, String passphrase) {
        if (SshPrivateKey.open(pem, passphrase).isEmpty()) {
            throw sshRefusal(pem, passphrase);
        }
    }

    private static Invalid sshRefusal(String pem, String passphrase) {
        boolean encrypted = pem.contains("ENCRYPTED") || openSshEncrypted(pem);
        if (encrypted && passphrase == null) {
            return new Invalid(SSH + ".privateKeyPem is encrypted: " + SSH + ".passphrase is required");
        }
        if (encrypted) {
            return new Invalid(SSH + ".privateKeyPem cannot be decrypted with " + SSH + ".passphrase");
        }
        return new Invalid(SSH + ".privateKeyPem is not a valid SSH private key");
    }

    /** Whether an OpenSSH-format key names a cipher other than {@code none} (its header is not secret). */
    private static boolean openSshEncrypted(String pem) {
        String begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
        int start = pem.indexOf(begin);
        int end = pem.indexOf("-----END OPENSSH PRIVATE KEY-----");
        if (start < 0 || end < start) {
            return false;
        }
        try {
            byte[] body = java.util.Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
            var buffer = java.nio.ByteBuffer.wrap(body);
            byte[] magic = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);
            byte[] head = new byte[magic.length];
            buffer.get(head);
            if (!java.util.Arrays.equals(head, magic)) {
                return false;
            }
            byte[] cipher = new byte[buffer.getInt()];
            buffer.get(cipher);
            return !new String(cipher, StandardCharsets.US_ASCII).equals("none");
        } catch (RuntimeException e) {
            return false;
        }
    }
}
