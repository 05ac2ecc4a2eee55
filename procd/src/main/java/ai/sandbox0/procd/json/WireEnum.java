package ai.sandbox0.procd.json;

import java.util.HashMap;
import java.util.Map;

/**
 * An enum's wire values, listed in constant order. The api enums declare them in {@code @JsonProperty}
 * for Jackson; procd cannot read annotations cheaply at startup, so it lists them here and a test
 * holds the two lists equal.
 */
public final class WireEnum<E extends Enum<E>> {

    private final Class<E> type;
    private final String[] wire;
    private final Map<String, E> byWire = new HashMap<>();

    private WireEnum(Class<E> type, String... wire) {
        E[] constants = type.getEnumConstants();
        if (constants.length != wire.length) {
            throw new IllegalArgumentException(type.getSimpleName() + " has " + constants.length + " constants");
        }
        this.type = type;
        this.wire = wire;
        for (E constant : constants) {
            byWire.put(wire[constant.ordinal()], constant);
        }
    }

    public static <E extends Enum<E>> WireEnum<E> of(Class<E> type, String... wire) {
        return new WireEnum<>(type, wire);
    }

    public Class<E> type() {
        return type;
    }

    public String wire(E constant) {
        return wire[constant.ordinal()];
    }

    E parse(String value) {
        return byWire.get(value);
    }

    String expected() {
        return String.join(", ", wire);
    }
}
