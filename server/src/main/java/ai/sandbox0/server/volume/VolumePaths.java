package ai.sandbox0.server.volume;

import ai.sandbox0.server.domain.DomainException.Invalid;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Logical paths inside a volume, cleaned the way upstream cleans them ({@code path.Clean} of the path
 * joined to {@code /}): {@code a//b/./c/..} is {@code /a/b}, and {@code ..} stops at the root. The node
 * resolves every path inside the volume anyway; cleaning here gives the API one spelling of each path.
 */
final class VolumePaths {

    static final String ROOT = "/";
    /** Longer paths are refused before they reach the kernel (PATH_MAX). */
    private static final int MAX_LENGTH = 4096;

    private VolumePaths() {
    }

    /** The cleaned absolute form of {@code raw} (a query parameter named {@code name}); 400 when missing or unusable. */
    static String clean(String raw, String name) {
        if (raw == null || raw.isEmpty()) {
            throw new Invalid(name + " is required");
        }
        if (raw.indexOf('\0') >= 0) {
            throw new Invalid(name + " must not contain a NUL character");
        }
        if (raw.length() > MAX_LENGTH) {
            throw new Invalid(name + " is longer than " + MAX_LENGTH + " characters");
        }
        Deque<String> parts = new ArrayDeque<>();
        for (String part : raw.split("/")) {
            switch (part) {
                case "", "." -> {
                }
                case ".." -> parts.pollLast();
                default -> parts.addLast(part);
            }
        }
        return parts.isEmpty() ? ROOT : "/" + String.join("/", parts);
    }
}
