package ai.sandbox0.server.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes in the PHC string format ({@code $argon2id$v=19$m=…,t=…,p=…$salt$hash}), so the
 * parameters travel with each hash and can be raised later without breaking stored ones. The defaults are
 * OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
 */
public final class PasswordHasher {

    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,2}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{16,64})\\$([A-Za-z0-9+/]{16,128})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODE = Base64.getDecoder();
    /** Long inputs cost the hash nothing more, but a bound keeps requests small and predictable. */
    public static final int MAX_PASSWORD_BYTES = 1024;

    private final int memoryKib;
    private final int iterations;
    private final int lanes;
    private final SecureRandom random;
    private final String dummy;

    public PasswordHasher(int memoryKib, int iterations, int lanes, SecureRandom random) {
        this.memoryKib = memoryKib;
        this.iterations = iterations;
        this.lanes = lanes;
        this.random = random;
        this.dummy = hash("not a password of anyone's");
    }

    public static PasswordHasher owaspDefaults(SecureRandom random) {
        return new PasswordHasher(19 * 1024, 2, 1, random);
    }

    public String hash(String password) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        byte[] hash = derive(password, salt, memoryKib, iterations, lanes, 32);
        return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=" + lanes + "$" + B64.encodeToString(salt)
                + "$" + B64.encodeToString(hash);
    }

    /**
     * Whether {@code password} matches {@code stored}. A null or unreadable {@code stored} (a user without a
     * password) never matches, after the same work as a real check, so timing does not tell which users exist.
     */
    public boolean matches(String password, String stored) {
        Matcher m = stored == null ? null : PHC.matcher(stored);
        if (m == null || !m.matches()) {
            matches(password, dummy);
            return false;
        }
        int memory = Integer.parseInt(m.group(1));
        int passes = Integer.parseInt(m.group(2));
        int parallel = Integer.parseInt(m.group(3));
        byte[] salt = B64_DECODE.decode(m.group(4));
        byte[] expected = B64_DECODE.decode(m.group(5));
        if (memory > 1 << 20 || passes < 1 || parallel < 1) {
            return false;
        }
        byte[] actual = derive(password, salt, memory, passes, parallel, expected.length);
        return MessageDigest.isEqual(expected, actual);
    }

    private static byte[] derive(String password, byte[] salt, int memoryKib, int iterations, int lanes, int length) {
        var params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(lanes)
                .withSalt(salt)
                .build();
        var generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }
}
