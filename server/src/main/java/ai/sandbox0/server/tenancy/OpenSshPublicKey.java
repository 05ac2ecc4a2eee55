package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.domain.DomainException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * One OpenSSH public key line, {@code <type> <base64> [comment]}, as a user pastes it from {@code ~/.ssh/*.pub}.
 * MINA SSHD decodes the key data, so only a real key of the named type gets through; {@link #line()} is the
 * key re-encoded (canonical) with its comment, and the fingerprint is what {@code ssh-keygen -lf} prints.
 */
public record OpenSshPublicKey(String keyType, String keyData, String comment, String fingerprintSha256) {

    public static final int MAX_LINE_BYTES = 16 * 1024;
    public static final int MIN_RSA_BITS = 2048;
    /** What OpenSSH 9 offers by default; DSA is obsolete and certificates name no single key. */
    public static final List<String> ACCEPTED_TYPES = List.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
            "sk-ecdsa-sha2-nistp256@openssh.com");

    private static final String INVALID = "public_key is not a valid OpenSSH public key: ";
    private static final int ECHO_MAX = 40;

    /** The normalised line: {@code <type> <base64>[ <comment>]}. */
    public String line() {
        return comment == null ? keyType + " " + keyData : keyType + " " + keyData + " " + comment;
    }

    /** Checks and normalises {@code input}; a {@link DomainException.Invalid} says what is wrong with it. */
    public static OpenSshPublicKey parse(String input) {
        String text = input.strip();
        if ((text.startsWith("-----BEGIN ") && text.contains("PRIVATE KEY-----"))
                || text.startsWith("PuTTY-User-Key-File")) {
            throw invalid("this is a private key. Paste the public key instead (the .pub file, e.g."
                    + " ~/.ssh/id_ed25519.pub) and keep the private key secret");
        }
        if (text.startsWith("---- BEGIN SSH2 PUBLIC KEY")) {
            throw invalid("this is an RFC 4716 (SSH2) public key; convert it with 'ssh-keygen -i -f <file>'"
                    + " and paste the one-line result");
        }
        if (text.startsWith("-----BEGIN ")) {
            throw invalid("this is a PEM key; convert it with 'ssh-keygen -i -m PKCS8 -f <file>' and paste the"
                    + " one-line result");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_LINE_BYTES) {
            throw invalid("it is longer than " + MAX_LINE_BYTES + " bytes");
        }
        if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            throw invalid("it must be a single line (one key per request)");
        }
        if (text.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
            throw invalid("it contains control characters");
        }
        String[] parts = text.split("[ \t]+", 3);
        String type = parts[0];
        if (startsWithOptions(text)) {
            throw invalid("authorized_keys options are not accepted; paste the key from its type on,"
                    + " '<type> <base64> [comment]'");
        }
        checkType(type);
        if (parts.length < 2) {
            throw invalid("the base64 key data is missing after '" + type + "'");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw invalid("the key data is not valid base64");
        }
        PublicKey key = decode(blob);
        String decodedType = KeyUtils.getKeyType(key);
        if (!type.equals(decodedType)) {
            throw invalid("the key data is a " + decodedType + " key but the line says " + type);
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw invalid("RSA keys need at least " + MIN_RSA_BITS + " bits and this one has "
                    + rsa.getModulus().bitLength() + "; generate a new key, e.g. with 'ssh-keygen -t ed25519'");
        }
        String comment = parts.length == 3 && !parts[2].isBlank() ? parts[2].strip() : null;
        return new OpenSshPublicKey(type, Base64.getEncoder().encodeToString(encode(key)), comment, fingerprint(key));
    }

    /** {@code SHA256:<unpadded base64>} of the key's wire form, as {@code ssh-keygen -lf} prints it. */
    public static String fingerprint(PublicKey key) {
        String fingerprint = KeyUtils.getFingerPrint(BuiltinDigests.sha256, key);
        // MINA answers a failure with the exception's text rather than throwing it.
        if (fingerprint == null || !fingerprint.startsWith("SHA256:")) {
            throw new IllegalArgumentException("cannot fingerprint " + key.getAlgorithm() + " key: " + fingerprint);
        }
        return fingerprint;
    }

    /** authorized_keys lines may put options first: {@code restrict,command="…" ssh-ed25519 AAAA…}. */
    private static boolean startsWithOptions(String text) {
        String[] tokens = text.split("[ \t]+");
        return !ACCEPTED_TYPES.contains(tokens[0]) && Arrays.stream(tokens).skip(1).anyMatch(ACCEPTED_TYPES::contains);
    }

    private static void checkType(String type) {
        if (ACCEPTED_TYPES.contains(type)) {
            return;
        }
        if (type.equals("ssh-dss")) {
            throw invalid("DSA (ssh-dss) keys are not accepted: OpenSSH no longer supports them; use ssh-ed25519");
        }
        if (type.endsWith("-cert-v01@openssh.com")) {
            throw invalid("certificates are not accepted; register the plain public key");
        }
        throw invalid("unknown key type '" + echo(type) + "' (accepted: " + String.join(", ", ACCEPTED_TYPES) + ")");
    }

    private static PublicKey decode(byte[] blob) {
        Buffer buffer = new ByteArrayBuffer(blob);
        PublicKey key;
        try {
            key = buffer.getRawPublicKey();
        } catch (Exception e) {
            // Short reads, wrong lengths and points off the curve all end here.
            throw invalid("the key data is truncated or corrupt");
        }
        if (key == null) {
            throw invalid("the key data is truncated or corrupt");
        }
        if (buffer.available() > 0) {
            throw invalid("the key data has " + buffer.available() + " extra bytes after the key");
        }
        return key;
    }

    private static byte[] encode(PublicKey key) {
        var buffer = new ByteArrayBuffer();
        buffer.putRawPublicKey(key);
        return buffer.getCompactData();
    }

    private static String echo(String value) {
        return value.length() <= ECHO_MAX ? value : value.substring(0, ECHO_MAX) + "…";
    }

    private static DomainException.Invalid invalid(String reason) {
        return new DomainException.Invalid(INVALID + reason);
    }
}
