package ai.sandbox0.procd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Settings, each from a flag ({@code --port 49983} or {@code --port=49983}) or else an environment
 * variable ({@code SANDBOX0_PROCD_PORT}). The token is never a flag: command lines are world-readable
 * in /proc. See docs/procd-protocol.md for the full list.
 */
public record ProcdConfig(
        String bind,
        int port,
        String token,
        Path workspace,
        Path envFile,
        long outputMaxBytes,
        int outputMaxFrames,
        long execTimeoutMillis,
        int contextTtlSec,
        int contextIdleTimeoutSec,
        int finishedRetentionSec,
        int maxFinished,
        boolean train) {

    public static ProcdConfig from(String[] args, Map<String, String> env) throws IOException {
        Map<String, String> flags = new HashMap<>();
        boolean train = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--train")) {
                train = true;
                continue;
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + a);
            }
            int eq = a.indexOf('=');
            if (eq > 0) {
                flags.put(a.substring(2, eq), a.substring(eq + 1));
            } else if (i + 1 < args.length) {
                flags.put(a.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("missing value for " + a);
            }
        }
        Settings s = new Settings(flags, env);
        String token = env.get("SANDBOX0_PROCD_TOKEN");
        String tokenFile = s.get("token-file", null);
        if (tokenFile != null) {
            token = Files.readString(Path.of(tokenFile)).strip();
        }
        if (!train && (token == null || token.isBlank())) {
            throw new IllegalArgumentException(
                    "no token: set SANDBOX0_PROCD_TOKEN or SANDBOX0_PROCD_TOKEN_FILE (or --token-file)");
        }
        String envFile = s.get("env-file", null);
        return new ProcdConfig(
                s.get("bind", "0.0.0.0"),
                s.integer("port", 49983),
                token,
                Path.of(s.get("workspace", System.getProperty("user.dir"))).toAbsolutePath().normalize(),
                envFile == null ? null : Path.of(envFile),
                s.integer("output-max-bytes", 1024 * 1024),
                s.integer("output-max-frames", 1024),
                s.integer("exec-timeout-ms", 30_000),
                s.integer("context-ttl-sec", 0),
                s.integer("context-idle-timeout-sec", 0),
                s.integer("finished-retention-sec", 3600),
                s.integer("max-finished", 256),
                train);
    }

    private record Settings(Map<String, String> flags, Map<String, String> env) {
        String get(String name, String fallback) {
            String v = flags.get(name);
            if (v == null) {
                v = env.get("SANDBOX0_PROCD_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
            }
            return v == null || v.isEmpty() ? fallback : v;
        }

        int integer(String name, int fallback) {
            String v = get(name, null);
            try {
                return v == null ? fallback : Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be an integer: " + v);
            }
        }
    }
}
