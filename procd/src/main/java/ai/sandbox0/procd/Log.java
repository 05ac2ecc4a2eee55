package ai.sandbox0.procd;

import java.time.Instant;

/**
 * One line per event on stderr, which tini hands to the container log. procd keeps to the JDK and
 * Jackson, so no logging framework. Never pass a token or a request body here.
 */
public final class Log {

    private static volatile boolean debug = System.getenv("SANDBOX0_PROCD_DEBUG") != null;

    private Log() {
    }

    public static void info(String message) {
        line("INFO", message, null);
    }

    public static void warn(String message, Throwable t) {
        line("WARN", message, t);
    }

    public static void debug(String message) {
        if (debug) {
            line("DEBUG", message, null);
        }
    }

    private static void line(String level, String message, Throwable t) {
        StringBuilder sb = new StringBuilder(96).append(Instant.now()).append(' ').append(level).append(" procd ")
                .append(message);
        if (t != null) {
            sb.append(": ").append(t);
        }
        System.err.println(sb);
        if (t != null && debug) {
            t.printStackTrace();
        }
    }
}
