package ai.sandbox0.procd.context;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Signal names of the context API: INT TERM KILL HUP QUIT USR1 USR2 WINCH STOP CONT, any case, with
 * or without a SIG prefix, or a number 1..64. Anything else is unsupported.
 */
public final class SignalName {

    private static final Map<String, Integer> NUMBERS = Map.of(
            "HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10, "USR2", 12, "TERM", 15, "CONT", 18,
            "STOP", 19, "WINCH", 28);

    private SignalName() {
    }

    public static OptionalInt parse(String signal) {
        if (signal == null) {
            return OptionalInt.empty();
        }
        String s = signal.trim().toUpperCase(Locale.ROOT);
        if (!s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (s.length() > 2) {
                return OptionalInt.empty();
            }
            int n = Integer.parseInt(s);
            return n >= 1 && n <= 64 ? OptionalInt.of(n) : OptionalInt.empty();
        }
        if (s.startsWith("SIG")) {
            s = s.substring(3);
        }
        Integer n = NUMBERS.get(s);
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }
}
