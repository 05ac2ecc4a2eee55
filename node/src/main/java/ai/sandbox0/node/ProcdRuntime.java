package ai.sandbox0.node;

import ai.sandbox0.node.runtime.OciMount;
import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-sandbox agent as the host provides it: a JDK, a directory holding procd.jar (and procd.aot,
 * its AOT cache of loaded and linked classes, recorded for the in-sandbox path by {@link ProcdInstaller}) and a static tini. All
 * three are bind-mounted read-only under {@value #IN_SANDBOX}: every sandbox maps the same files, so
 * their pages are shared in the page cache, which keeps procd's memory per sandbox small.
 * See docs/procd-protocol.md, "Launching procd".
 */
public record ProcdRuntime(Path jdkHome, Path procdDir, Path tini, List<String> jvmFlags, int port) {

    public static final String IN_SANDBOX = "/opt/sandbox0";
    public static final String JDK = IN_SANDBOX + "/jdk";
    public static final String PROCD_DIR = IN_SANDBOX + "/procd";
    public static final String JAR = PROCD_DIR + "/procd.jar";
    public static final String ARCHIVE = PROCD_DIR + "/procd.aot";
    public static final String TINI = IN_SANDBOX + "/tini";
    /** procd's workspace when the sandbox runs as root; another user's is its home (or /tmp). */
    public static final String WORKSPACE = "/root";
    public static final int DEFAULT_PORT = 49983;
    /**
     * procd's documented flags: a small heap, no JIT (procd's work is syscalls and small JSON), the
     * AOT cache mapped where it was recorded so its pages stay shared between sandboxes, and the
     * JDK's small fallback locale data instead of CLDR's (procd formats nothing localized but the HTTP
     * Date header; loading CLDR costs ~20 ms of a new sandbox's first response), and the JVM's idle
     * monitor check and service-thread cleanup once a minute rather than every 250 ms and every second,
     * which woke every idle sandbox.
     */
    public static final List<String> DEFAULT_JVM_FLAGS = List.of(
            "-Xmx32m", "-Xms4m", "-Xmn2m", "-Xss256k", "-XX:+UseSerialGC", "-Xint", "-XX:-UsePerfData",
            "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0", "-XX:AsyncDeflationInterval=60000",
            "-XX:ServiceThreadCleanupInterval=60000", "-Djava.locale.providers=SPI");
    public static final String TOKEN_ENV = "SANDBOX0_PROCD_TOKEN";

    public ProcdRuntime {
        jvmFlags = List.copyOf(jvmFlags);
    }

    /** procd as built into {@code procdDir} (procd.jar, maybe procd.aot), with the default flags. */
    public static ProcdRuntime of(Path jdkHome, Path procdDir, Path tini) {
        return new ProcdRuntime(jdkHome, procdDir, tini, DEFAULT_JVM_FLAGS, DEFAULT_PORT);
    }

    public Path jar() {
        return procdDir.resolve("procd.jar");
    }

    public Path archive() {
        return procdDir.resolve("procd.aot");
    }

    public ProcdRuntime withProcdDir(Path dir) {
        return new ProcdRuntime(jdkHome, dir, tini, jvmFlags, port);
    }

    /** Fails naming the missing piece, before any sandbox is touched. */
    public void verify() throws SetupException {
        for (Path p : List.of(jdkHome.resolve("bin/java"), jar(), tini)) {
            if (!Files.isRegularFile(p)) {
                throw new SetupException(Step.WRITE_BUNDLE, "procd runtime incomplete: " + p + " does not exist");
            }
        }
    }

    public List<OciMount> mounts() {
        return List.of(
                OciMount.readOnlyBind(jdkHome, JDK),
                OciMount.readOnlyBind(procdDir, PROCD_DIR),
                OciMount.readOnlyBind(tini, TINI));
    }

    /**
     * tini as PID 1 (-v logs how procd exited, which a failed start reports), then procd: through the
     * host's dynamic loader and C library when the installer copied them ({@value #PROCD_DIR}/lib), so
     * procd does not depend on the image's libc.
     */
    public List<String> args() {
        return args(WORKSPACE);
    }

    /** procd's command line with {@code workspace} as the root of relative paths (the user's home). */
    public List<String> args(String workspace) {
        var a = new ArrayList<String>(List.of(TINI, "-v", "--"));
        loader().ifPresent(loader -> a.addAll(List.of(PROCD_DIR + "/lib/" + loader, "--library-path", PROCD_DIR + "/lib")));
        a.add(JDK + "/bin/java");
        a.addAll(jvmFlags);
        if (Files.exists(archive())) {
            a.add("-XX:AOTCache=" + ARCHIVE);
        }
        a.add("-Xlog:all=warning:stderr");
        a.addAll(List.of("-jar", JAR, "--workspace", workspace, "--port", Integer.toString(port)));
        return a;
    }

    /** The host's dynamic loader copied beside procd, if any. */
    public java.util.Optional<String> loader() {
        Path lib = procdDir.resolve("lib");
        if (!Files.isDirectory(lib)) {
            return java.util.Optional.empty();
        }
        try (var s = Files.list(lib)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ld-") && n.contains(".so")).findFirst();
        } catch (java.io.IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** The token goes in the environment: command lines are world-readable in /proc. */
    public Map<String, String> env(String token) {
        var e = new LinkedHashMap<String, String>();
        e.put(TOKEN_ENV, token);
        return e;
    }
}
