package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Why a sandbox did not become ready, in the words a user can act on, with procd's last output. */
public sealed interface Diagnosis {

    /** procd (under tini) exited by itself. */
    record Exited(int exitCode, String output) implements Diagnosis {
        public String summary() {
            return "procd exited with code " + exitCode;
        }
    }

    /** procd died of a signal; {@code oomKilled} when the memory cgroup's OOM killer did it. */
    record Killed(String signal, boolean oomKilled, String output) implements Diagnosis {
        public String summary() {
            return oomKilled ? "procd was OOM-killed (memory limit too small)" : "procd was killed by signal " + signal;
        }
    }

    /** Still running, but procd never answered its health check before the deadline. */
    record NotReady(long waitedMillis, boolean oomKilled, String output) implements Diagnosis {
        public String summary() {
            return "procd did not answer within " + waitedMillis + " ms" + (oomKilled ? " (OOM kills in the sandbox)" : "");
        }
    }

    /** The container is gone and nothing says why. */
    record Vanished(String output) implements Diagnosis {
        public String summary() {
            return "the container vanished";
        }
    }

    String summary();

    String output();

    /** One line for logs and errors: the summary and the last lines procd printed. */
    default String describe() {
        String out = output().strip();
        return out.isEmpty() ? summary() : summary() + "; last output:\n" + out;
    }

    Pattern EXITED = Pattern.compile("Main child exited normally \\(with status '(\\d+)'\\)");
    Pattern SIGNALED = Pattern.compile("Main child exited with signal \\(with signal '([^']+)'\\)");

    /** Reads tini's verdict (it logs how its child ended) from the container output. */
    static Diagnosis ofStopped(Path output, boolean oomKilled) {
        String tail = tail(output, 20);
        Matcher m = EXITED.matcher(tail);
        if (m.find()) {
            return new Exited(Integer.parseInt(m.group(1)), tail);
        }
        m = SIGNALED.matcher(tail);
        if (m.find()) {
            return new Killed(m.group(1), oomKilled, tail);
        }
        return oomKilled ? new Killed("Killed", true, tail) : new Vanished(tail);
    }

    /** The last {@code n} lines of a log file (reads at most the last 64 KiB). */
    static String tail(Path file, int n) {
        if (file == null || !Files.exists(file)) {
            return "";
        }
        try (var raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            long from = Math.max(0, len - 65536);
            byte[] buf = new byte[(int) (len - from)];
            raf.seek(from);
            raf.readFully(buf);
            List<String> lines = new String(buf, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
