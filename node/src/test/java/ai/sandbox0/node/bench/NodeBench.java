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
    /** One /31 per sandbox: 2048 of them, room for BENCH_DENSITY=500 and more. */
    private static final String ADDRESSES = "10.89.96.0/20";

    public static void main(String[] args) throws Exception {
        Path rootfs = TestRootfs.get();
        ProcdRuntime procd = ProcdBuild.runtime();
        Path state = Files.createTempDirectory("s0node-bench-");
        NodeConfig config = NodeConfig.defaults("bench", state, procd).withAddressPool(ADDRESSES);
        // The default template's resources: 500m CPU, 2Gi.
        SandboxSpec template = SandboxSpec.of("proto", List.of(rootfs), Resources.of("500m", "2Gi"), NetworkMode.ALLOW_ALL);

        List<Double> runcFloor = runcFloor(config, rootfs, FLOOR);
        List<Double> procdFloor = procdOnHost(procd, 10);
        long procdHostPss = procdHostPss(procd);

        Node node = TestNodes.open(config, Set.of());
        var table = new StringBuilder();
        Density d;
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

            d = density(node, template, rootfs, procd);
            double floorSum = median(runcFloor) + median(procdFloor);

            table.append(String.format("%nNode benchmark: %d cores, cgroup %s, runc %s; sandboxes of the builtin default image "
                    + "(Debian bookworm), 500m CPU / 2Gi.%n%n", Runtime.getRuntime().availableProcessors(),
                    node.cgroups() instanceof CgroupLayout.V2 ? "v2" : "v1", runcVersion(config)));
            table.append("| measure | median | p99 | floor (same run) | target |\n");
            table.append("|---|---|---|---|---|\n");
            row(table, "runc run /bin/true on a fresh overlay (floor)", runcFloor, "—", "—");
            row(table, "procd ready, plain JVM on the host (floor)", procdFloor, "—", "—");
            row(table, "cold start: create → procd ready (n=" + COLD + ")", cold,
                    String.format("%.0f ms (runc + procd)", floorSum),
                    String.format("≤ %.0f ms (1.5× floor): %s", 1.5 * floorSum,
                            median(cold) <= 1.5 * floorSum ? "met" : "missed"));
            row(table, "warm claim at the node (n=" + WARM + ")", warm, "—",
                    "p50 ≤ 10 ms: " + (median(warm) <= 10 ? "met" : "missed"));
            table.append(String.format("| write 1 GiB in a sandbox (dd, conv=fsync; its own disk; after one untimed write each), n=%d | %.0f MiB/s | %.0f MiB/s (min) "
                            + "| the host's disk, same dd: %.0f MiB/s | ≥ 80%% of it: %s (%.0f%%) |%n", write.inSandbox.size(),
                    median(write.inSandbox), Collections.min(write.inSandbox), median(write.onHost),
                    median(write.inSandbox) >= 0.8 * median(write.onHost) ? "met" : "missed",
                    100 * median(write.inSandbox) / median(write.onHost)));
            densityRows(table, d, median(cold), procdHostPss, median(runcFloor), median(procdFloor));
        } finally {
            node.shutdown();
        }
        List<String> leaks = HostLeaks.of(config);
        leaks.forEach(l -> System.err.println("LEAK " + l));
        table.append(String.format("| density: host leaks after destroying all %d and the node's shutdown (runc, mounts, "
                + "loop devices, netns, veths, nft, cgroups) | %d | — | — | none: %s |%n", d.count, leaks.size(),
                leaks.isEmpty() ? "met" : "missed"));
        System.out.print(table);
        System.out.print(cpuNotes(d));
        new ProcessBuilder("rm", "-rf", "--one-file-system", state.toString()).start().waitFor();
    }

    private static void densityRows(StringBuilder t, Density d, double coldMs, long procdHostPss, double runcMs,
                                    double procdMs) {
        int n = d.count;
        row(t, "density: start of each of " + n + " in turn, the ones before it idle (create → procd ready)", d.startMs,
                String.format("one alone (cold start above): %.0f ms", coldMs), "—");
        double ratio = d.lastTenMs() / d.firstTenMs();
        double floorBefore = runcMs + procdMs;
        double floorAfter = median(d.runcWithN) + median(d.procdWithN);
        t.append(String.format("| density: first 10 → last 10 of those starts (medians) | %.0f → %.0f ms | ×%.2f "
                        + "| runc + procd floors before → with %d idle: %.0f → %.0f ms (×%.2f) | last ≤ 2× first: %s |%n",
                d.firstTenMs(), d.lastTenMs(), ratio, n, floorBefore, floorAfter, floorAfter / floorBefore,
                ratio <= 2 ? "met" : "missed"));
        row(t, "density: runc run /bin/true on a fresh overlay, with " + n + " idle (floor again)", d.runcWithN,
                String.format("before the first: %.0f ms", runcMs), "—");
        row(t, "density: procd ready, plain JVM on the host, with " + n + " idle (floor again)", d.procdWithN,
                String.format("before the first: %.0f ms", procdMs), "—");
        row(t, "density: one python REPL context created in each (procd's API, over the sandbox's address)", d.replMs,
                "—", "—");
        t.append(String.format("| density: %d idle sandboxes, PSS per sandbox (tini + procd + python REPL) | %.1f MiB | %.1f MiB (max) "
                        + "| procd alone on the host: %.1f MiB | ≤ 25 MiB: %s |%n", n, d.medianMiB(), d.maxMiB(),
                procdHostPss / 1024.0, d.medianMiB() <= 25 ? "met" : "missed"));
        t.append(String.format("| density: total PSS of %d sandboxes; host MemAvailable drop | %.0f MiB | %.0f MiB "
                + "| — | 500 in 24 GiB ⇒ ≤ 49 MiB each |%n", n, d.totalMiB(), d.availableDropMiB));
        cpuRow(t, d, d.cpuAt200, CPU_TARGET_COUNT);
        if (n != CPU_TARGET_COUNT) {
            cpuRow(t, d, d.cpuAtN, n);
        }
        long[] r = d.nodeRssKiB;
        long[] h = d.nodeHeapKiB;
        t.append(String.format("| density: node JVM RSS before the first start → with %d idle → after destroying them | "
                        + "%.0f → %.0f MiB | %.0f MiB after | heap in use after a full GC: %.0f MiB before, %.0f MiB after "
                        + "| bounded: %+.0f KiB RSS per sandbox while up |%n",
                n, r[0] / 1024.0, r[1] / 1024.0, r[2] / 1024.0, h[0] / 1024.0, h[1] / 1024.0, (r[1] - r[0]) / (double) n));
        t.append(String.format("| density: destroy all %d (%d at a time) | %.1f s | — | — | — |%n", n,
                Math.max(2, 2 * Runtime.getRuntime().availableProcessors()), d.destroySeconds));
    }

    /** Host CPU with {@code count} idle; the target is judged on the node's own share (the host has other tenants). */
    private static void cpuRow(StringBuilder t, Density d, HostCpu.Window w, int count) {
        if (w == null) {
            return;
        }
        t.append(String.format("| density: host CPU with %d idle sandboxes over %.0f s, %% of one core (after %d s settling) "
                        + "| host %.2f %% | sandboxes %.2f %% (%.0f µs/s each) + node JVM %.2f %% | node open, no sandbox: host %.2f %%, node JVM %.2f %% "
                        + "| ≤ 2 %% (sandboxes + node, %d idle): %s |%n", count, w.seconds(), SETTLE_SECONDS, w.hostPercent(),
                w.sandboxPercent(), w.sandboxPercent() * 1e4 / count, w.nodePercent(), d.floorCpu.hostPercent(), d.floorCpu.nodePercent(), CPU_TARGET_COUNT,
                w.oursPercent() <= 2 ? "met" : "missed"));
    }

    private static String cpuNotes(Density d) {
        var sb = new StringBuilder("\nIdle CPU, biggest consumers (% of one core; sandboxes' threads summed over all sandboxes):\n");
        note(sb, "node open, no sandbox", d.floorCpu);
        if (d.cpuAt200 != null && d.cpuAt200 != d.cpuAtN) {
            note(sb, CPU_TARGET_COUNT + " idle", d.cpuAt200);
        }
        note(sb, d.count + " idle", d.cpuAtN);
        return sb.toString();
    }

    private static void note(StringBuilder sb, String what, HostCpu.Window w) {
        sb.append("- ").append(what).append(String.format(" (host %.2f %%): ", w.hostPercent()));
        sb.append(String.join(", ", w.top().stream()
                .map(c -> String.format("%s %.2f %%", c.label(), c.percentOfCore())).toList()));
        sb.append('\n');
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

    /**
     * N idle sandboxes, each started in turn with the ones before it idle, then given one REPL context.
     *
     * @param startMs each start (create → procd ready), in order
     * @param replMs each REPL context's creation, in order
     * @param floorCpu the host with the node open and no sandbox, over the same window
     * @param cpuAt200 the host with 200 of them idle (null when N < 200)
     * @param cpuAtN the host with all N idle
     * @param nodeRssKiB the node JVM's RSS before the first start, with all N idle, after destroying them
     * @param nodeHeapKiB its heap in use after a full GC, before the first start and after destroying them
     * @param runcWithN the runc floor measured again with all N idle
     * @param procdWithN procd's start on the host measured again with all N idle
     */
    private record Density(int count, List<Double> startMs, List<Double> replMs, List<Long> pssKiB, double availableDropMiB,
                           HostCpu.Window floorCpu, HostCpu.Window cpuAt200, HostCpu.Window cpuAtN, long[] nodeRssKiB,
                           long[] nodeHeapKiB, double destroySeconds, List<Double> runcWithN, List<Double> procdWithN) {
        double medianMiB() {
            return median(pssKiB.stream().map(Long::doubleValue).toList()) / 1024;
        }

        double maxMiB() {
            return Collections.max(pssKiB) / 1024.0;
        }

        double totalMiB() {
            return pssKiB.stream().mapToLong(Long::longValue).sum() / 1024.0;
        }

        double firstTenMs() {
            return median(startMs.subList(0, Math.min(10, count)));
        }

        double lastTenMs() {
            return median(startMs.subList(Math.max(0, count - 10), count));
        }
    }

    private static final int SETTLE_SECONDS = Integer.getInteger("bench.settle", 30);
    private static final int IDLE_SECONDS = Integer.getInteger("bench.idle", 60);
    /** The idle-CPU target is stated for this many sandboxes. */
    private static final int CPU_TARGET_COUNT = 200;

    private static Density density(Node node, SandboxSpec template, Path rootfs, ProcdRuntime procd) throws Exception {
        var cpu = new HostCpu(node.config().cgroupParent());
        HostCpu.Window floor = cpu.measure(IDLE_SECONDS);
        long[] rss = new long[3];
        long[] heap = new long[2];
        heap[0] = heapAfterGcKiB();
        rss[0] = rssKiB();
        long availBefore = memAvailableKiB();
        List<Sandbox> started = new ArrayList<>();
        List<Double> startMs = new ArrayList<>();
        List<Double> replMs = new ArrayList<>();
        HostCpu.Window at200 = null;
        try {
            for (int i = 0; i < DENSITY; i++) {
                long t0 = System.nanoTime();
                Sandbox s = node.start(template.withId("dense" + i));
                startMs.add(ms(t0));
                started.add(s);
                long t1 = System.nanoTime();
                ReplContext.create(s);
                replMs.add(ms(t1));
                if (started.size() == CPU_TARGET_COUNT && DENSITY > CPU_TARGET_COUNT) {
                    at200 = idleCpu(cpu, CPU_TARGET_COUNT);
                }
                if ((i + 1) % 50 == 0) {
                    System.err.printf("density: %d started, last %.0f ms%n", i + 1, startMs.getLast());
                }
            }
            HostCpu.Window atN = idleCpu(cpu, DENSITY);
            if (DENSITY == CPU_TARGET_COUNT) {
                at200 = atN;
            }
            rss[1] = rssKiB();
            // The same floors as at the top, now with N idle: what the host itself makes of a start by then.
            List<Double> runcWithN = runcFloor(node.config(), rootfs, 10);
            List<Double> procdWithN = procdOnHost(procd, 10);
            List<Long> pss = new ArrayList<>();
            for (Sandbox s : started) {
                if (!ProcdProbe.healthy(s.address(), s.procdPort(), 2000)) {
                    throw new IllegalStateException(s.id() + " is not healthy");
                }
                List<String> pids = Files.readAllLines(node.cgroups().procs(s.cgroupPath()));
                if (pids.size() < 3) {
                    throw new IllegalStateException(s.id() + " should run tini, procd and python, has " + pids);
                }
                long kib = 0;
                for (String pid : pids) {
                    kib += pssKiB(Path.of("/proc", pid.strip(), "smaps_rollup"));
                }
                pss.add(kib);
            }
            double drop = (availBefore - memAvailableKiB()) / 1024.0;
            long t0 = System.nanoTime();
            destroyAll(node, started);
            started.clear();
            double destroySeconds = (System.nanoTime() - t0) / 1e9;
            rss[2] = rssKiB();
            heap[1] = heapAfterGcKiB();
            return new Density(DENSITY, startMs, replMs, pss, drop, floor, at200, atN, rss, heap, destroySeconds,
                    runcWithN, procdWithN);
        } finally {
            destroyAll(node, started);
        }
    }

    /** Lets starts' after-effects (procd's warm-up, the JIT, disk refills) end, then measures the idle host. */
    private static HostCpu.Window idleCpu(HostCpu cpu, int count) throws Exception {
        System.err.printf("density: %d idle; settling %d s, then measuring %d s%n", count, SETTLE_SECONDS, IDLE_SECONDS);
        Thread.sleep(SETTLE_SECONDS * 1000L);
        return cpu.measure(IDLE_SECONDS);
    }

    /** Destroys a few at a time: the host's own teardown work is what it is, a stampede only slows each. */
    private static void destroyAll(Node node, List<Sandbox> sandboxes) throws InterruptedException {
        var slots = new java.util.concurrent.Semaphore(Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Sandbox s : sandboxes) {
                slots.acquire();
                ex.submit(() -> {
                    try {
                        node.destroy(s.id());
                    } finally {
                        slots.release();
                    }
                    return null;
                });
            }
        }
    }

    /** What the node keeps: its heap after a full GC (RSS also holds heap the JVM grew and has not returned). */
    private static long heapAfterGcKiB() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / 1024;
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        return 0;
    }

    /** The floor of a start: runc run of /bin/true, on an overlay mounted and removed each time. */
    private static final java.util.concurrent.atomic.AtomicInteger FLOOR_RUNS = new java.util.concurrent.atomic.AtomicInteger();

    private static List<Double> runcFloor(NodeConfig config, Path rootfs, int runs) throws Exception {
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
        for (int i = 0; i < runs + 3; i++) {
            Path upper = dir.resolve("upper");
            Path work = dir.resolve("work");
            Files.createDirectories(upper);
            Files.createDirectories(work);
            Files.createDirectories(merged);
            long t0 = System.nanoTime();
            mounter.mountOverlay(List.of(rootfs), upper, work, merged);
            int rc = runc.run("floor" + FLOOR_RUNS.getAndIncrement(), dir);
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
    private static List<Double> procdOnHost(ProcdRuntime procd, int runs) throws Exception {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < runs + 3; i++) {
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

    private static void row(StringBuilder t, String name, List<Double> xs, String floor, String target) {
        t.append(String.format("| %s | %.1f ms | %.1f ms | %s | %s |%n", name, median(xs), p99(xs), floor, target));
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
