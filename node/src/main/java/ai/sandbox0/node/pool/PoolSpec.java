package ai.sandbox0.node.pool;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.runtime.SandboxSpec;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A template's warm pool: sandboxes are started from {@code prototype} (its id is replaced per
 * sandbox); {@code specHash} tells idle sandboxes of an older version of the template apart.
 */
public record PoolSpec(String templateId, SandboxSpec prototype, String specHash, int minIdle, int maxIdle) {

    public PoolSpec {
        if (minIdle < 0 || maxIdle < 0) {
            throw new IllegalArgumentException("pool sizes must be >= 0, got minIdle=" + minIdle + " maxIdle=" + maxIdle);
        }
        if (maxIdle < minIdle) {
            throw new IllegalArgumentException("maxIdle (" + maxIdle + ") must be >= minIdle (" + minIdle + ")");
        }
    }

    /** With the hash computed from the prototype (everything but its id). */
    public static PoolSpec of(String templateId, SandboxSpec prototype, int minIdle, int maxIdle) {
        return new PoolSpec(templateId, prototype, hash(prototype), minIdle, maxIdle);
    }

    static String hash(SandboxSpec prototype) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Json.write(prototype.withId("x")));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
