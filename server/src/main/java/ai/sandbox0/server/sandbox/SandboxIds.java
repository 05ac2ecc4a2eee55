package ai.sandbox0.server.sandbox;

import java.security.SecureRandom;

/**
 * Sandbox and snapshot ids. A sandbox id is a DNS label short enough that {@code <id>--p<port>} (the
 * exposure host of a service) stays one label: {@code sb-} and 16 of [a-z0-9], 19 characters, never
 * containing {@code --}.
 */
public final class SandboxIds {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private final SecureRandom random = new SecureRandom();

    public String sandbox() {
        return "sb-" + random(16);
    }

    /** Upstream's rootfs snapshot id shape: {@code rootfs-snapshot-} and 10 of [a-z0-9]. */
    public String rootfsSnapshot() {
        return "rootfs-snapshot-" + random(10);
    }

    private String random(int length) {
        var chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(chars);
    }
}
