package ai.sandbox0.node.bench;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.Node;
import ai.sandbox0.node.NodeConfig;
import ai.sandbox0.node.ProcdRuntime;
import ai.sandbox0.node.Resources;
import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.pool.Claim;
import ai.sandbox0.node.pool.PoolSpec;
import ai.sandbox0.node.pool.WarmPool;
import ai.sandbox0.node.runtime.CgroupLayout;
import ai.sandbox0.node.runtime.ProcdProbe;
import ai.sandbox0.node.runtime.Runc;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.runtime.SyscallMounter;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.ProcdBuild;
import ai.sandbox0.node.testing.TestNodes;
import ai.sandbox0.node.testing.TestRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The node's benchmark (run by bench/node): cold start, warm claim and density, each next to its floor
 * measured in the same run. Prints a Markdown table.
 */
public final class NodeBench {

    private static final int COLD = Integer.getInteger("bench.cold", 20);
    private static final int WARM = Integer.getInteger("bench.warm", 20);
    private static final int DENSITY = Integer.getInteger("bench.density", 100);
    private static final int FLOOR = Integer.getInteger("bench.floor", 30);

    public static void main(String[] args) throws Exception {
        Path rootfs = TestRootfs.get();
        ProcdRuntime procd = ProcdBuild.runtime();
        Path state = Files.createTempDirectory("s0node-bench-");
        NodeConfig config = NodeConfig.defaults("bench", state, procd).withAddressPool("10.89.100.0/22");
        // The default template's resources: 500m CPU, 2Gi.
        SandboxSpec template = SandboxSpec.of("proto", List.of(rootfs), Resources.of("500m", "2Gi"), NetworkMode.ALLOW_ALL);

        List<Double> runcFloor = runcFloor(config, rootfs);
        List<Double> procdFloor = procdOnHost(procd);
        long procdHostPss = procdHostPss(procd);

        Node node = TestNodes.open(config, Set.of());
        try {
            // Warm-up: the first start pays for class loading in the node and page cache on the host.
            for (int i = 0; i < 3; i++) {
                node.destroy(node.start(template.withId("warm" + i)).id());
            }
            List<Double> cold = new ArrayList<>();
            for (int i = 0; i < COLD; i++) {
                long t0 = System.nanoTime();
                Sandbox s = node.start(template.withId("cold" + i));
                cold.add(ms(t0));
                node.destroy(s.id());
            }

            WarmPool pool = node.configurePool(PoolSpec.of("bench", template, 1, 1));
            List<Double> warm = new ArrayList<>();
            for (int i = 0; i < WARM; i++) {
                while (pool.idleCount() < 1) {
                    Thread.sleep(5);
                }
                long t0 = System.nanoTime();
                Claim c = node.claim("bench");
                warm.add(ms(t0));
                if (!(c instanceof Claim.Warm)) {
                    throw new IllegalStateException("claim " + i + " was not warm");
                }
                node.destroy(c.sandbox().id());
            }
            node.removePool("bench");

            Throughput write = writeGiB(node, rootfs, state);

            Density d = density(node, template);
            double floorSum = median(runcFloor) + median(procdFloor);

            System.out.printf("%nNode benchmark: %d cores, cgroup %s, runc %s; sandboxes of the builtin default image "
                    + "(Debian bookworm), 500m CPU / 2Gi.%n%n", Runtime.getRuntime().availableProcessors(),
                    node.cgroups() instanceof CgroupLayout.V2 ? "v2" : "v1", runcVersion(config));
            System.out.println("| measure | median | p99 | floor (same run) | target |");
            System.out.println("|---|---|---|---|---|");
            row("runc run /bin/true on a fresh overlay (floor)", runcFloor, "—", "—");
            row("procd ready, plain JVM on the host (floor)", procdFloor, "—", "—");
            row("cold start: create → procd ready (n=" + COLD + ")", cold,
                    String.format("%.0f ms (runc + procd)", floorSum),
                    String.format("≤ %.0f ms (1.5× floor): %s", 1.5 * floorSum,
                            median(cold) <= 1.5 * floorSum ? "met" : "missed"));
            row("warm claim at the node (n=" + WARM + ")", warm, "—",
                    "p50 ≤ 10 ms: " + (median(warm) <= 10 ? "met" : "missed"));
            System.out.printf("| write 1 GiB in a sandbox (dd, conv=fsync; its own disk; after one untimed write each), n=%d | %.0f MiB/s | %.0f MiB/s (min) "
                            + "| the host's disk, same dd: %.0f MiB/s | ≥ 80%% of it: %s (%.0f%%) |%n", write.inSandbox.size(),
                    median(write.inSandbox), Collections.min(write.inSandbox), median(write.onHost),
                    median(write.inSandbox) >= 0.8 * median(write.onHost) ? "met" : "missed",
                    100 * median(write.inSandbox) / median(write.onHost));
            System.out.printf("| density: %d idle sandboxes, PSS per sandbox (tini + procd) | %.1f MiB | %.1f MiB (max) "
                            + "| procd alone on the host: %.1f MiB | ≤ 25 MiB: %s |%n", d.count, d.medianMiB(), d.maxMiB(),
                    procdHostPss / 1024.0, d.medianMiB() <= 25 ? "met" : "missed");
            System.out.printf("| density: total PSS of %d sandboxes; host MemAvailable drop | %.0f MiB | %.0f MiB "
                            + "| — | 500 in 24 GiB ⇒ ≤ 49 MiB each |%n", d.count, d.totalMiB(), d.availableDropMiB);
            System.out.printf("| density: time to start %d sandboxes (%d at a time) | %.1f s | — | — | — |%n",
                    d.count, config.starts().concurrent(), d.startSeconds);
        } finally {
            node.shutdown();
            HostLeaks.of(config).forEach(l -> System.err.println("LEAK " + l));
            new ProcessBuilder("rm", "-rf", "--one-file-system", state.toString()).start().waitFor();
        }
    }

    /** MiB/s of dd writing 1 GiB with an fsync at the end: in a sandbox (its disk), and on the host's disk. */
    private record Throughput(List<Double> inSandbox, List<Double> onHost) {
    }

    private static final int WRITE_RUNS = Integer.getInteger("bench.write.runs", 5);

    private static Throughput writeGiB(Node node, Path rootfs, Path state) throws Exception {
        String dd = "dd if=/dev/zero of=%s bs=1M count=1024 conv=fsync 2>&1 | tail -1; rm -f %s";
        var spec = SandboxSpec.of("writer", List.of(rootfs), new Resources(500, 2L << 30, 512, 2L << 30),
                NetworkMode.BLOCK_ALL);
        List<Double> inSandbox = new ArrayList<>();
        List<Double> onHost = new ArrayList<>();
        Sandbox s = node.start(spec);
        try {
            // One untimed write in each place first: on a thin-provisioned VM disk the first write to blocks the
            // host file system never used is slow whoever writes it, and the sandbox's image is always new.
            for (int i = -1; i < WRITE_RUNS; i++) {
                String out = node.exec(s.id(), List.of("sh", "-c", dd.formatted("/root/big", "/root/big")),
                        Duration.ofMinutes(5)).stdout();
                Path host = state.resolve("host-write.bin");
                var p = new ProcessBuilder("sh", "-c", dd.formatted(host, host)).redirectErrorStream(true).start();
                String onHostOut = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                if (i >= 0) {
                    inSandbox.add(mibPerSecond(out));
                    onHost.add(mibPerSecond(onHostOut));
                }
            }
        } finally {
            node.destroy(s.id());
        }
        return new Throughput(inSandbox, onHost);
    }

    /** From dd's last line: "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.5 s, 430 MB/s". */
    private static double mibPerSecond(String ddOutput) {
        var m = java.util.regex.Pattern.compile("copied, ([0-9.]+) s").matcher(ddOutput);
        if (!m.find()) {
            throw new IllegalStateException("dd said: " + ddOutput);
        }
        return 1024 / Double.parseDouble(m.group(1));
    }

    private record Density(int count, List<Long> pssKiB, double startSeconds, double availableDropMiB) {
        double medianMiB() {
            return median(pssKiB.stream().map(Long::doubleValue).toList()) / 1024;
        }

        double maxMiB() {
            return Collections.max(pssKiB) / 1024.0;
        }

        double totalMiB() {
            return pssKiB.stream().mapToLong(Long::longValue).sum() / 1024.0;
        }
    }

    private static Density density(Node node, SandboxSpec template) throws Exception {
        long availBefore = memAvailableKiB();
        long t0 = System.nanoTime();
        List<Sandbox> started = new ArrayList<>();
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Sandbox>> fs = new ArrayList<>();
            for (int i = 0; i < DENSITY; i++) {
                String id = "dense" + i;
                fs.add(ex.submit(() -> node.start(template.withId(id))));
            }
            for (Future<Sandbox> f : fs) {
                started.add(f.get());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(5000); // let procd's warm-up and the JIT settle: idle, not starting
        List<Long> pss = new ArrayList<>();
        for (Sandbox s : started) {
            if (!ProcdProbe.healthy(s.address(), s.procdPort(), 2000)) {
                throw new IllegalStateException(s.id() + " is not healthy");
            }
            long kib = 0;
            for (String pid : Files.readAllLines(node.cgroups().procs(s.cgroupPath()))) {
                kib += pssKiB(Path.of("/proc", pid.strip(), "smaps_rollup"));
            }
            pss.add(kib);
        }
        double drop = (availBefore - memAvailableKiB()) / 1024.0;
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Sandbox s : started) {
                ex.submit(() -> {
                    node.destroy(s.id());
                    return null;
                });
            }
        }
        return new Density(started.size(), pss, seconds, drop);
    }

    /** The floor of a start: runc run of /bin/true, on an overlay mounted and removed each time. */
    private static List<Double> runcFloor(NodeConfig config, Path rootfs) throws Exception {
        Path dir = config.stateDir().resolve("floor");
        Files.createDirectories(dir);
        var runc = new Runc(config.runtime(), dir.resolve("runc"));
        var mounter = new SyscallMounter();
        Path merged = dir.resolve("rootfs");
        Map<String, Object> spec = Map.of(
                "ociVersion", "1.0.2",
                "process", Map.of("terminal", false, "user", Map.of("uid", 0, "gid", 0), "args", List.of("/bin/true"),
                        "env", List.of("PATH=/usr/bin:/bin"), "cwd", "/"),
                "root", Map.of("path", merged.toString()),
                "hostname", "floor",
                "mounts", List.of(Map.of("destination", "/proc", "type", "proc", "source", "proc")),
                "linux", Map.of("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "mount"),
                        Map.of("type", "ipc"), Map.of("type", "uts"), Map.of("type", "network"))));
        Files.write(dir.resolve("config.json"), Json.write(spec));
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < FLOOR + 3; i++) {
            Path upper = dir.resolve("upper");
            Path work = dir.resolve("work");
            Files.createDirectories(upper);
            Files.createDirectories(work);
            Files.createDirectories(merged);
            long t0 = System.nanoTime();
            mounter.mountOverlay(List.of(rootfs), upper, work, merged);
            int rc = runc.run("floor" + i, dir);
            mounter.unmount(merged);
            double t = ms(t0);
            if (rc != 0) {
                throw new IllegalStateException("runc run /bin/true exited " + rc);
            }
            new ProcessBuilder("rm", "-rf", upper.toString(), work.toString()).start().waitFor();
            if (i >= 3) {
                out.add(t);
            }
        }
        return out;
    }

    /** The floor of procd's start: the same JVM, flags and AOT cache, on the host, until /healthz answers. */
    private static List<Double> procdOnHost(ProcdRuntime procd) throws Exception {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            int port = freePort();
            long t0 = System.nanoTime();
            Process p = hostProcd(procd, port);
            try {
                while (!ProcdProbe.healthy("127.0.0.1", port, 500)) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("procd on the host exited " + p.exitValue());
                    }
                    Thread.sleep(3);
                }
                if (i >= 3) {
                    out.add(ms(t0));
                }
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
        return out;
    }

    /** A port free right now: a fixed one may be taken as an ephemeral port by any client on the host. */
    private static int freePort() throws java.io.IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static long procdHostPss(ProcdRuntime procd) throws Exception {
        int port = freePort();
        Process p = hostProcd(procd, port);
        try {
            while (!ProcdProbe.healthy("127.0.0.1", port, 500)) {
                Thread.sleep(5);
            }
            Thread.sleep(5000);
            return pssKiB(Path.of("/proc", Long.toString(p.pid()), "smaps_rollup"));
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    private static Process hostProcd(ProcdRuntime procd, int port) throws IOException {
        // The build's own AOT cache, recorded for the jar's path in the build dir: valid here.
        var cmd = new ArrayList<String>(List.of(procd.jdkHome().resolve("bin/java").toString()));
        cmd.addAll(procd.jvmFlags());
        if (Files.exists(procd.archive())) {
            cmd.add("-XX:AOTCache=" + procd.archive());
        }
        cmd.addAll(List.of("-Xlog:all=warning:stderr", "-jar", procd.jar().toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1"));
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put(ProcdRuntime.TOKEN_ENV, "bench");
        pb.directory(Path.of("/tmp").toFile());
        return pb.start();
    }

    private static long pssKiB(Path smapsRollup) {
        try {
            for (String line : Files.readAllLines(smapsRollup)) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("\\D+", ""));
                }
            }
        } catch (IOException ignored) {
            // process gone
        }
        return 0;
    }

    private static long memAvailableKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemAvailable:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        return 0;
    }

    private static String runcVersion(NodeConfig c) throws IOException {
        return ai.sandbox0.node.runtime.HostCommand.run(List.of(c.runtime().toString(), "--version")).stdout()
                .lines().findFirst().orElse("?").replace("runc version ", "");
    }

    private static void row(String name, List<Double> xs, String floor, String target) {
        System.out.printf("| %s | %.1f ms | %.1f ms | %s | %s |%n", name, median(xs), p99(xs), floor, target);
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    static double median(List<Double> xs) {
        var s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double p99(List<Double> xs) {
        var s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(0.99 * s.size()) - 1));
    }
}
