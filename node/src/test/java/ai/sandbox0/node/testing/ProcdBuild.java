package ai.sandbox0.node.testing;

import ai.sandbox0.node.ProcdRuntime;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * procd's jar as the node runs it in sandboxes. {@code ./mvnw verify} packages procd before node's tests
 * run; under {@code ./mvnw test} (no package phase) the jar may be missing or older than procd's sources,
 * and then this builds it once with the wrapper, into the same output dir.
 */
public final class ProcdBuild {

    public static final Path JDK = Path.of(System.getProperty("s0.jdk", "/usr/lib/jvm/temurin-25-jdk-amd64"));
    public static final Path TINI = Path.of("/usr/bin/tini-static");

    private ProcdBuild() {
    }

    public static Path repoRoot() {
        String root = System.getProperty("s0.root");
        Path p = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
        if (!Files.exists(p.resolve("mvnw"))) {
            throw new IllegalStateException("cannot find the repository root (set -Ds0.root): " + p);
        }
        return p;
    }

    public static Path targetDir() {
        return repoRoot().resolve("procd").resolve(System.getProperty("s0.target", "target"));
    }

    public static synchronized ProcdRuntime runtime() {
        Path target = targetDir();
        Path jar = target.resolve("procd.jar");
        try {
            // A child JVM of a test gets the jar its parent already checked (and must not rebuild it).
            if (!Boolean.getBoolean("s0.procd.checked") && stale(jar)) {
                Files.createDirectories(target);
                try (FileChannel ch = FileChannel.open(target.resolve(".node-build.lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); var lock = ch.lock()) {
                    if (stale(jar)) {
                        try {
                            build();
                        } catch (IllegalStateException e) {
                            // procd's sources may be mid-edit; an older jar still runs the node's tests.
                            if (!Files.exists(jar)) {
                                throw e;
                            }
                            System.err.println("WARNING: " + e.getMessage() + "; using the older " + jar);
                            Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis()));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot build procd: " + e.getMessage(), e);
        }
        return ProcdRuntime.of(JDK, target, TINI);
    }

    private static boolean stale(Path jar) throws IOException {
        if (!Files.exists(jar)) {
            return true;
        }
        FileTime built = Files.getLastModifiedTime(jar);
        for (Path src : List.of(repoRoot().resolve("procd/src/main"), repoRoot().resolve("api/src/main"))) {
            try (Stream<Path> s = Files.walk(src)) {
                if (s.anyMatch(p -> {
                    try {
                        return Files.getLastModifiedTime(p).compareTo(built) > 0;
                    } catch (IOException e) {
                        return false;
                    }
                })) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void build() throws IOException {
        Path root = repoRoot();
        String target = System.getProperty("s0.target", "target");
        Path log = Files.createDirectories(root.resolve("procd").resolve(target)).resolve("node-build.log");
        Process p = new ProcessBuilder(root.resolve("mvnw").toString(), "-B", "-q", "-o", "-pl", "api,procd",
                "-Ds0.target=" + target, "-DskipTests", "package")
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("building procd failed; see " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted building procd", e);
        }
    }
}
