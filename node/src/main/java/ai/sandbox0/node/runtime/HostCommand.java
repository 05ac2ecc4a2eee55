package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a host program to completion and captures its output; failures name the step. */
public final class HostCommand {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private HostCommand() {
    }

    /** A finished program. */
    public record Result(List<String> argv, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** stderr, or stdout when stderr is empty, trimmed to what fits an error message. */
        public String diagnostic() {
            String s = stderr.isBlank() ? stdout : stderr;
            s = s.strip();
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        }
    }

    public static Result run(List<String> argv) throws IOException {
        return run(argv, null, DEFAULT_TIMEOUT);
    }

    public static Result run(List<String> argv, String stdin, Duration timeout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeout.toMillis() + " ms: " + String.join(" ", argv));
            }
            return new Result(List.copyOf(argv), p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", argv), e);
        }
    }

    /** Runs the program and throws, naming the step, unless it exits 0. */
    public static Result check(Step step, List<String> argv) throws SetupException {
        return check(step, argv, null);
    }

    public static Result check(Step step, List<String> argv, String stdin) throws SetupException {
        Result r;
        try {
            r = run(argv, stdin, DEFAULT_TIMEOUT);
        } catch (IOException e) {
            throw new SetupException(step, e.getMessage(), e);
        }
        if (!r.ok()) {
            throw new SetupException(step, String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.diagnostic());
        }
        return r;
    }

    private static CompletableFuture<String> drain(InputStream in) {
        var f = new CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.completeExceptionally(new UncheckedIOException(e));
            }
        });
        return f;
    }
}
