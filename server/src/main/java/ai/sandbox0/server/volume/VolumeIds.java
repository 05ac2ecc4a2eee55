package ai.sandbox0.server.volume;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Volume and volume snapshot ids: UUIDv4 strings, lower case. An id from a path that is not of this form
 * names nothing, so it is answered as a missing one without reaching the store or the pool.
 */
public final class VolumeIds {

    private static final Pattern UUID_FORM = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private VolumeIds() {
    }

    public static String next() {
        return UUID.randomUUID().toString();
    }

    public static boolean valid(String id) {
        return id != null && UUID_FORM.matcher(id).matches();
    }
}
