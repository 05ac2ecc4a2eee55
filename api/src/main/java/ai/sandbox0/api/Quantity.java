package ai.sandbox0.api;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities as templates carry them: {@code "500m"}, {@code "2"}, {@code "2Gi"},
 * {@code "1.5G"}, {@code "1e3"}. Parsed exactly (BigDecimal), never through floating point.
 */
public final class Quantity {

    private static final Pattern FORMAT = Pattern.compile("([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?\\d+)?");
    private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
            Map.entry("m", new BigDecimal("0.001")),
            Map.entry("k", BigDecimal.TEN.pow(3)),
            Map.entry("M", BigDecimal.TEN.pow(6)),
            Map.entry("G", BigDecimal.TEN.pow(9)),
            Map.entry("T", BigDecimal.TEN.pow(12)),
            Map.entry("P", BigDecimal.TEN.pow(15)),
            Map.entry("E", BigDecimal.TEN.pow(18)),
            Map.entry("Ki", BigDecimal.valueOf(2).pow(10)),
            Map.entry("Mi", BigDecimal.valueOf(2).pow(20)),
            Map.entry("Gi", BigDecimal.valueOf(2).pow(30)),
            Map.entry("Ti", BigDecimal.valueOf(2).pow(40)),
            Map.entry("Pi", BigDecimal.valueOf(2).pow(50)),
            Map.entry("Ei", BigDecimal.valueOf(2).pow(60)));

    private Quantity() {
    }

    /** The quantity's value; throws {@link IllegalArgumentException} naming the bad text. */
    public static BigDecimal parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty quantity");
        }
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a quantity (examples: 500m, 2, 2Gi, 512Mi)");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String suffix = m.group(2);
        if (suffix == null) {
            return number;
        }
        BigDecimal multiplier = SUFFIXES.get(suffix);
        if (multiplier == null) { // an exponent: e3, E-2
            return number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
        }
        return number.multiply(multiplier);
    }

    /** CPU in millicores, rounded up as Kubernetes does. */
    public static long millicpu(String text) {
        return parse(text).movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** Bytes, rounded up. */
    public static long bytes(String text) {
        return parse(text).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** A compact rendering of bytes for messages: 2Gi, 512Mi, or plain bytes. */
    public static String formatBytes(long bytes) {
        String[] units = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (10 * (units.length - i));
            if (bytes >= unit && bytes % unit == 0) {
                return (bytes / unit) + units[i];
            }
        }
        return Long.toString(bytes);
    }

    /** A compact rendering of millicores: 2, 500m. */
    public static String formatMillicpu(long millis) {
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
    }
}
