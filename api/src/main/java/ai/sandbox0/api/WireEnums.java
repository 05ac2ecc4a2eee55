package ai.sandbox0.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The wire values of the contract's enums. Each constant declares its value once, in
 * {@code @JsonProperty}; this class reads that annotation so that query-parameter parsing
 * ({@code fromWire}) and JSON reading agree with what Jackson writes.
 */
public final class WireEnums {

    /** How much of an unknown value an error quotes back: a megabyte sent is not a megabyte answered. */
    private static final int ECHO_MAX = 64;

    private static final ClassValue<Table> TABLES = new ClassValue<>() {
        @Override
        protected Table computeValue(Class<?> type) {
            return Table.of(type);
        }
    };

    private WireEnums() {
    }

    /** The value {@code constant} is written as. */
    public static String wire(Enum<?> constant) {
        return TABLES.get(constant.getDeclaringClass()).wireOf().get(constant);
    }

    /** The constant written as {@code value}; empty for null or an unknown value. */
    public static <E extends Enum<E>> Optional<E> parse(Class<E> type, String value) {
        return Optional.ofNullable(TABLES.get(type).byWire().get(value)).map(type::cast);
    }

    /**
     * For a {@code @JsonCreator}: Jackson's own enum reading would take a number as an ordinal,
     * which the upstream server never does. Null stays null (absent).
     */
    public static <E extends Enum<E>> E require(Class<E> type, String value) {
        if (value == null) {
            return null;
        }
        return parse(type, value).orElseThrow(() -> new IllegalArgumentException("unknown value \"" + echo(value)
                + "\", expected one of " + String.join(", ", TABLES.get(type).byWire().keySet())));
    }

    private static String echo(String value) {
        if (value.length() <= ECHO_MAX) {
            return value;
        }
        // never half a surrogate pair
        int end = Character.isHighSurrogate(value.charAt(ECHO_MAX - 1)) ? ECHO_MAX - 1 : ECHO_MAX;
        return value.substring(0, end) + "…";
    }

    private record Table(Map<Enum<?>, String> wireOf, Map<String, Enum<?>> byWire) {

        static Table of(Class<?> type) {
            Map<Enum<?>, String> wireOf = new HashMap<>();
            Map<String, Enum<?>> byWire = new LinkedHashMap<>();
            for (Object value : type.getEnumConstants()) {
                Enum<?> constant = (Enum<?>) value;
                String wire = annotatedValue(type, constant);
                wireOf.put(constant, wire);
                byWire.put(wire, constant);
            }
            return new Table(Map.copyOf(wireOf), Collections.unmodifiableMap(byWire));
        }

        private static String annotatedValue(Class<?> type, Enum<?> constant) {
            try {
                JsonProperty property = type.getField(constant.name()).getAnnotation(JsonProperty.class);
                if (property == null) {
                    throw new IllegalStateException(type.getName() + "." + constant.name() + " lacks @JsonProperty");
                }
                return property.value();
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
