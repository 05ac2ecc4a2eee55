package ai.sandbox0.node.runtime;

import ai.sandbox0.node.ProcdRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs procd for sandboxes: copies procd.jar into {@code <dir>/<sha256 of the jar>/} (a new jar
 * gets a new dir; sandboxes still running keep theirs) and records procd.aot, its AOT cache, there. The cache records the paths of
 * the JDK and the jar, so the training run sees them exactly where sandboxes will: in a private mount namespace ({@code unshare -m}) with a tmpfs over
 * /opt holding the two bind mounts. Nothing of that is visible outside the namespace.
 */
public final class ProcdInstaller {

    private static final Logger log = LoggerFactory.getLogger(ProcdInstaller.class);

    private final Path unshare;
    private final Path ldd;

    public ProcdInstaller(Path unshare, Path ldd) {
        this.unshare = unshare;
        this.ldd = ldd;
    }

    /** Returns the runtime to mount; without the cache if recording failed (procd then starts ~30 ms slower). */
    public ProcdRuntime install(ProcdRuntime source, Path dir) throws SetupException {
        source.verify();
        try {
            String sha = sha256(source.jar());
            Path target = dir.resolve(sha.substring(0, 16));
            if (Files.isRegularFile(target.resolve("procd.jar")) && Files.exists(target.resolve(".installed"))) {
                return source.withProcdDir(target);
            }
            Files.createDirectories(target);
            Path tmp = target.resolve("procd.jar.tmp");
            Files.copy(source.jar(), tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target.resolve("procd.jar"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(target.resolve("procd.aot"));
            copyHostLibc(source, target.resolve("lib"));
            recordArchive(source, target);
            Files.writeString(target.resolve(".installed"), sha + "\n");
            return source.withProcdDir(target);
        } catch (IOException e) {
            throw new SetupException(Step.WRITE_BUNDLE, "cannot install procd into " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The host's dynamic loader and the C libraries the JDK links against, copied beside procd. procd
     * then runs on the host's glibc whatever the image has: musl (Alpine), an older glibc than procd
     * needs (2.34), or none at all. The sandbox's own programs keep using the image's libraries.
     */
    private void copyHostLibc(ProcdRuntime source, Path libDir) throws IOException {
        Files.createDirectories(libDir);
        var libs = new java.util.TreeMap<String, Path>();
        for (String object : List.of("bin/java", "lib/libjli.so", "lib/server/libjvm.so", "lib/libjava.so",
                "lib/libnio.so", "lib/libnet.so", "lib/libzip.so", "lib/libjimage.so")) {
            Path file = source.jdkHome().resolve(object);
            if (!Files.exists(file)) {
                continue;
            }
            HostCommand.Result r = HostCommand.run(List.of(ldd.toString(), file.toString()));
            for (String line : r.stdout().lines().map(String::strip).toList()) {
                // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
                String[] f = line.split("\\s+");
                if (f.length >= 3 && f[1].equals("=>") && f[2].startsWith("/") && !f[2].startsWith(source.jdkHome().toString())) {
                    libs.put(f[0], Path.of(f[2]));
                } else if (f.length >= 1 && f[0].startsWith("/") && f[0].contains("/ld-")) {
                    libs.put(Path.of(f[0]).getFileName().toString(), Path.of(f[0]));
                }
            }
        }
        for (var e : libs.entrySet()) {
            Files.copy(e.getValue(), libDir.resolve(e.getKey()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void recordArchive(ProcdRuntime source, Path target) throws IOException {
        String flags = String.join(" ", source.jvmFlags());
        String script = String.join("\n",
                "set -e",
                "mkdir -p /opt",
                "mount -t tmpfs -o mode=755,size=1m s0procd /opt",
                "mkdir -p " + ProcdRuntime.JDK + " " + ProcdRuntime.PROCD_DIR,
                "mount --bind '" + source.jdkHome() + "' " + ProcdRuntime.JDK,
                "mount --bind '" + target + "' " + ProcdRuntime.PROCD_DIR,
                "cd /tmp",
                "exec " + ProcdRuntime.JDK + "/bin/java " + flags + " -XX:AOTCacheOutput=" + ProcdRuntime.ARCHIVE
                        + " -Xlog:cds=error -Xlog:aot=error -jar " + ProcdRuntime.JAR + " --train");
        long t0 = System.nanoTime();
        HostCommand.Result r = HostCommand.run(List.of(unshare.toString(), "--mount", "--propagation", "private",
                "/bin/sh", "-c", script), null, Duration.ofMinutes(2));
        if (!r.ok() || !Files.exists(target.resolve("procd.aot"))) {
            log.warn("procd AOT cache not recorded (procd starts without it): exit {}: {}", r.exitCode(), r.diagnostic());
            return;
        }
        log.info("procd installed in {} with its AOT cache ({} ms)", target, (System.nanoTime() - t0) / 1_000_000);
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
