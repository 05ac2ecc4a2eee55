package ai.sandbox0.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Immutable copies for the collections a wire record holds. Null stays null, because an absent list or
 * map means something different from an empty one (for example {@code env_vars: {}} clears, absent keeps).
 * No schema allows a null element or value, so one is rejected while the JSON is read.
 */
public final class Copies {

    private Copies() {
    }

    public static <T> List<T> list(List<T> source) {
        if (source == null) {
            return null;
        }
        for (T element : source) {
            if (element == null) {
                throw new IllegalArgumentException("array elements must not be null");
            }
        }
        return List.copyOf(source);
    }

    /** Keeps insertion order, so maps are written back in the order they were given. */
    public static <V> Map<String, V> map(Map<String, V> source) {
        if (source == null) {
            return null;
        }
        for (V value : source.values()) {
            if (value == null) {
                throw new IllegalArgumentException("map values must not be null");
            }
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(source));
    }
}
