import ai.sandbox0.node.runtime.ProcdProbe;
import ai.sandbox0.node.runtime.Runc;
import ai.sandbox0.node.runtime.SyscallMounter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The driver of bench/load: W clients, each looping claim → cmd echo → write + read a small file → delete
 * through the HTTP API for D seconds, while one more client runs `cmd true` in a sandbox of its own. Then
 * the same cycle's host steps done directly (overlay, netns + veth, runc run, procd start), sequentially
 * and W at a time, as the floor. Prints a Markdown table.
 */
public class LoadBench {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] STEPS = {"claim", "cmd", "write", "read", "delete", "cycle"};
    static String base, key, javaHome, template;
    static Path data, work;
    static long serverPid;
    static int clients, seconds;
    static final List<String> notes = new ArrayList<>();

    public static void main(String[] a) throws Exception {
        base = a[0]; data = Path.of(a[1]); work = Path.of(a[2]); serverPid = Long.parseLong(a[3]);
        javaHome = System.getProperty("java.home");
        clients = Integer.getInteger("bench.clients", 20);
        seconds = Integer.getInteger("bench.seconds", 60);
        template = System.getProperty("bench.template", "default");
        key = Files.readString(data.resolve("admin-api-key")).strip();

        Api api = new Api();
        // Warm-up, untimed: the same churn, so the server's JIT has compiled its hot paths before the run.
        int warmup = Integer.getInteger("bench.warmupSeconds", 20);
        churn(warmup, new Samples(), new Outcomes(), new AtomicInteger());
        waitForIdle(api, 1, Duration.ofSeconds(90));
        int idleBefore = idle(api);
        Host before = Host.sample();
        String probe = api.claim();
        String lower = lowerDir(api.podName(probe));
        double[] quiet = new double[100];
        for (int i = -20; i < quiet.length; i++) {
            double d = api.cmdTrue(probe);
            if (i >= 0) quiet[i] = d;
        }

        Samples samples = new Samples();
        Outcomes outcomes = new Outcomes();
        List<Double> busy = Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long cpu0 = cpuJiffies(), t0 = System.nanoTime();
        long[] server0 = serverJiffies();
        AtomicInteger cycles = new AtomicInteger();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            pool.submit(() -> {
                churn(seconds, samples, outcomes, cycles);
                return null;
            });
            pool.submit(() -> {
                while (System.nanoTime() < deadline) {
                    busy.add(api.cmdTrue(probe));
                    Thread.sleep(100);
                }
                return null;
            });
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (cpuJiffies() - cpu0) / 100.0;
        long[] server1 = serverJiffies();
        double serverSelf = (server1[0] - server0[0]) / 100.0, serverChildren = (server1[1] - server0[1]) / 100.0;
        api.delete(probe);
        boolean settled = waitForIdle(api, idleBefore, Duration.ofSeconds(90));
        Thread.sleep(2000);
        Host after = Host.sample();

        Floor floor = Boolean.parseBoolean(System.getProperty("bench.floor", "true")) ? Floor.measure(Path.of(lower))
                : new Floor(new double[0], Double.NaN, 0, Double.NaN);

        System.out.println("| measure | n | p50 | p99 | floor, same run | target |");
        System.out.println("|---|---|---|---|---|---|");
        int n = cycles.get();
        row("cycles per second (" + clients + " clients, " + seconds + " s)", n, f(n / elapsed), "",
                "host steps only: " + f(floor.parallelPerSecond) + " /s with " + clients + " at a time", "≥ 8 /s");
        for (String step : STEPS) {
            double[] s = samples.of(step);
            String target = switch (step) {
                case "claim" -> "p99 ≤ 1500 ms";
                case "cmd" -> "p50 ≤ 50 ms";
                default -> "";
            };
            String fl = step.equals("cycle") ? "host steps one at a time: " + pp(floor.sequential) : "";
            row(step + " (ms)", s.length, f(pct(s, 50)), f(pct(s, 99)), fl, target);
        }
        row("`cmd true` in a running sandbox during the churn (ms)", busy.size(), f(pct(busy, 50)), f(pct(busy, 99)),
                "same sandbox before the churn: " + pp(quiet), "p50 ≤ 2× floor");
        row("host CPU per cycle (CPU-seconds)", n, f(n == 0 ? 0 : cpuSeconds / n), "",
                "host steps: " + f(floor.cpuPerCycle), "");
        row("of which the server's JVM / its reaped children (runc, ip, nft, …)", n,
                n == 0 ? "–" : f(serverSelf / n) + " / " + f(serverChildren / n), "", "", "");
        row("errors (other than 503 + Retry-After)", outcomes.errors.get(), "", "", "", "0");
        row("claims shed (503 + Retry-After)", outcomes.shed.get(), "", "", "", "");
        System.out.println();
        System.out.println("| server and host | before | after |");
        System.out.println("|---|---|---|");
        System.out.println("| server RSS (MiB) | " + f(before.rssKib / 1024.0) + " | " + f(after.rssKib / 1024.0) + " |");
        System.out.println("| server heap in use after a full GC (MiB) | " + f(before.heapKib / 1024.0) + " | "
                + f(after.heapKib / 1024.0) + " |");
        System.out.println("| server open fds | " + before.fds + " | " + after.fds + " |");
        System.out.println("| server threads | " + before.threads + " | " + after.threads + " |");
        System.out.println("| mounts under the data dir | " + before.mounts + " | " + after.mounts + " |");
        System.out.println("| network namespaces | " + before.netns + " | " + after.netns + " |");
        System.out.println("| host network links | " + before.links + " | " + after.links + " |");
        System.out.println("| sandbox cgroups | " + before.cgroups + " | " + after.cgroups + " |");
        System.out.println("| idle warm sandboxes of `" + template + "` | " + idleBefore + " | " + idle(api)
                + (settled ? "" : " (pool not refilled within 90 s)") + " |");
        System.out.println();
        outcomes.messages.forEach((m, c) -> notes.add("error ×" + c + ": " + m));
        notes.add("Before the run, " + Integer.getInteger("bench.warmupSeconds", 20) + " s of the same churn, untimed (the server's JIT "
                + "compiles its hot paths); then the pool is let refill.");
        notes.add("Cycle: POST /api/v1/sandboxes {template: " + template + "} → POST …/contexts cmd [echo, ok] wait_until_done → "
                + "POST …/files?path=/tmp/load.txt (1 KiB) → GET it → DELETE the sandbox; each client its own HTTP/1.1 "
                + "connection (java.net.http), one cycle after another; a 503 with Retry-After waits that long (≤ 2 s) and "
                + "counts as shed, not as an error. After is sampled once the pool is back to its idle count and 2 s more.");
        notes.add("Floor: one cycle's host steps done directly by the driver — overlay mount of the template's image layer, "
                + "`ip netns add` + a veth pair into it, `runc run` of /bin/true in that netns on the overlay, teardown "
                + "(umount, netns delete), and procd started as a plain JVM on the host with the sandbox's flags and an "
                + "AOT cache until /healthz answers — " + floor.sequential.length + " times one after another and "
                + floor.parallelCycles + " times " + clients + " at a time.");
        notes.add("Machine: " + Runtime.getRuntime().availableProcessors() + " CPUs, kernel " + System.getProperty("os.version")
                + ", JDK " + Runtime.version() + "; the server, its sandboxes and this driver share it.");
        notes.forEach(System.out::println);
    }

    /** {@code clients} clients cycling for {@code seconds}. */
    static void churn(int seconds, Samples samples, Outcomes outcomes, AtomicInteger cycles) {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    Api own = new Api();
                    while (System.nanoTime() < deadline) {
                        if (own.cycle(samples, outcomes)) cycles.incrementAndGet();
                    }
                    return null;
                });
            }
        }
    }

    // ---- the API ----------------------------------------------------------------------------------------

    static final class Api {
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();

        HttpResponse<String> send(String method, String path, String body) throws Exception {
            var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                    .header("Authorization", "Bearer " + key);
            if (body != null) b.header("Content-Type", "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        JsonNode ok(HttpResponse<String> r) throws Exception {
            if (r.statusCode() / 100 != 2) throw new Failed(r);
            return JSON.readTree(r.body()).get("data");
        }

        String claim() throws Exception {
            return ok(send("POST", "/api/v1/sandboxes", "{\"template\":\"" + template + "\"}")).get("sandbox_id").asText();
        }

        String podName(String id) throws Exception {
            return ok(send("GET", "/api/v1/sandboxes/" + id, null)).get("pod_name").asText();
        }

        void delete(String id) throws Exception {
            ok(send("DELETE", "/api/v1/sandboxes/" + id, null));
        }

        double cmdTrue(String id) throws Exception {
            long t = System.nanoTime();
            JsonNode c = ok(send("POST", "/api/v1/sandboxes/" + id + "/contexts",
                    "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"true\"]},\"wait_until_done\":true}"));
            double d = ms(t);
            ok(send("DELETE", "/api/v1/sandboxes/" + id + "/contexts/" + c.get("id").asText(), null));
            return d;
        }

        /** One cycle; false when a step failed (counted in outcomes; a claimed sandbox is still deleted). */
        boolean cycle(Samples s, Outcomes o) throws InterruptedException {
            String id = null;
            long start = System.nanoTime();
            try {
                long t = System.nanoTime();
                id = claim();
                s.add("claim", ms(t));
                t = System.nanoTime();
                JsonNode c = ok(send("POST", "/api/v1/sandboxes/" + id + "/contexts",
                        "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"echo\",\"ok\"]},\"wait_until_done\":true}"));
                s.add("cmd", ms(t));
                if (!c.path("output_raw").asText().equals("ok\n")) throw new IllegalStateException("cmd output " + c);
                String payload = "x".repeat(1024);
                t = System.nanoTime();
                var w = HttpRequest.newBuilder(URI.create(base + "/api/v1/sandboxes/" + id + "/files?path=/tmp/load.txt"))
                        .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + key)
                        .POST(HttpRequest.BodyPublishers.ofString(payload)).build();
                ok(http.send(w, HttpResponse.BodyHandlers.ofString()));
                s.add("write", ms(t));
                t = System.nanoTime();
                HttpResponse<String> r = send("GET", "/api/v1/sandboxes/" + id + "/files?path=/tmp/load.txt", null);
                if (r.statusCode() != 200 || !r.body().equals(payload)) throw new Failed(r);
                s.add("read", ms(t));
                t = System.nanoTime();
                String claimed = id;
                id = null;
                delete(claimed);
                s.add("delete", ms(t));
                s.add("cycle", ms(start));
                return true;
            } catch (Failed f) {
                o.failed(f.response);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                o.error(e.toString());
            } finally {
                if (id != null) {
                    try {
                        delete(id);
                    } catch (Exception e) {
                        o.error("delete after a failed cycle: " + e);
                    }
                }
            }
            return false;
        }
    }

    static final class Failed extends Exception {
        final HttpResponse<String> response;

        Failed(HttpResponse<String> r) {
            super(r.statusCode() + " " + r.body(), null, false, false);
            response = r;
        }
    }

    static final class Outcomes {
        final AtomicInteger errors = new AtomicInteger(), shed = new AtomicInteger();
        final ConcurrentMap<String, Integer> messages = new ConcurrentHashMap<>();

        void failed(HttpResponse<String> r) throws InterruptedException {
            var retryAfter = r.headers().firstValue("Retry-After");
            if (r.statusCode() == 503 && retryAfter.isPresent()) {
                shed.incrementAndGet();
                Thread.sleep(Math.min(2000, Long.parseLong(retryAfter.get()) * 1000));
                return;
            }
            error(r.request().method() + " " + r.uri().getPath().replaceAll("sb-[^/]+", "{id}") + " → " + r.statusCode()
                    + " " + r.body().substring(0, Math.min(200, r.body().length())));
        }

        void error(String message) {
            errors.incrementAndGet();
            messages.merge(message.replaceAll("sb-[0-9a-z-]+", "{id}"), 1, Integer::sum);
        }
    }

    static final class Samples {
        final ConcurrentMap<String, List<Double>> byStep = new ConcurrentHashMap<>();

        void add(String step, double ms) {
            byStep.computeIfAbsent(step, k -> Collections.synchronizedList(new ArrayList<>())).add(ms);
        }

        double[] of(String step) {
            List<Double> l = byStep.getOrDefault(step, List.of());
            synchronized (l) {
                return l.stream().mapToDouble(Double::doubleValue).toArray();
            }
        }
    }

    static int idle(Api api) throws Exception {
        return api.ok(api.send("GET", "/api/v1/templates/" + template, null)).at("/status/idleCount").asInt();
    }

    static boolean waitForIdle(Api api, int idle, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (idle(api) >= idle) return true;
            Thread.sleep(200);
        }
        return false;
    }

    static String lowerDir(String podName) throws Exception {
        JsonNode rec = JSON.readTree(data.resolve("node/sandboxes").resolve(podName).resolve("sandbox.json").toFile());
        return Path.of(URI.create(rec.at("/spec/lowerDirs/0").asText())).toString();
    }

    // ---- host state -------------------------------------------------------------------------------------

    record Host(long rssKib, long heapKib, int fds, int threads, long mounts, long netns, long links, long cgroups) {
        static Host sample() throws Exception {
            long heap = liveHeapKib();
            long rss = 0;
            int threads = 0;
            for (String l : Files.readAllLines(Path.of("/proc/" + serverPid + "/status"))) {
                if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("\\D", ""));
                if (l.startsWith("Threads:")) threads = Integer.parseInt(l.replaceAll("\\D", ""));
            }
            int fds;
            try (Stream<Path> s = Files.list(Path.of("/proc/" + serverPid + "/fd"))) {
                fds = (int) s.count();
            }
            long mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(l -> l.contains(data.toString())).count();
            long netns;
            try (Stream<Path> s = Files.exists(Path.of("/run/netns")) ? Files.list(Path.of("/run/netns")) : Stream.empty()) {
                netns = s.count();
            }
            long links;
            try (Stream<Path> s = Files.list(Path.of("/sys/class/net"))) {
                links = s.count();
            }
            long cgroups = 0;
            try (Stream<Path> s = Files.walk(Path.of("/sys/fs/cgroup"), 3)) {
                cgroups = s.filter(p -> p.toString().contains("/sandbox0-") && Files.isDirectory(p)).count();
            }
            return new Host(rss, heap, fds, threads, mounts, netns, links, cgroups);
        }
    }

    /** The server's own CPU (utime + stime) and its waited-for children's (cutime + cstime), in ticks. */
    static long[] serverJiffies() throws Exception {
        String stat = Files.readString(Path.of("/proc/" + serverPid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[13]) + Long.parseLong(f[14])};
    }

    /** The server's heap in use right after a full GC (what it holds, not what the collector has yet to free). */
    static long liveHeapKib() throws Exception {
        String jcmd = Path.of(javaHome, "bin", "jcmd").toString();
        run(jcmd, Long.toString(serverPid), "GC.run");
        String info = run(jcmd, Long.toString(serverPid), "GC.heap_info");
        var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    static long cpuJiffies() throws Exception {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
            if (i != 4 && i != 5) busy += Long.parseLong(f[i]); // all but idle and iowait
        }
        return busy;
    }

    // ---- the floor: a cycle's host steps done directly --------------------------------------------------

    record Floor(double[] sequential, double parallelPerSecond, int parallelCycles, double cpuPerCycle) {
        static Floor measure(Path lower) throws Exception {
            HostSteps steps = HostSteps.prepare(lower);
            int seq = 20;
            double[] one = new double[seq];
            for (int i = -3; i < seq; i++) {
                long t = System.nanoTime();
                steps.cycle(100 + i + 3);
                if (i >= 0) one[i] = ms(t);
            }
            int per = 3, total = per * clients;
            AtomicInteger next = new AtomicInteger(1000);
            long cpu0 = cpuJiffies(), t0 = System.nanoTime();
            var ready = new CountDownLatch(1);
            try (var pool = Executors.newFixedThreadPool(clients)) {
                for (int c = 0; c < clients; c++) {
                    pool.submit(() -> {
                        ready.await();
                        for (int i = 0; i < per; i++) steps.cycle(next.getAndIncrement());
                        return null;
                    });
                }
                ready.countDown();
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double cpu = (cpuJiffies() - cpu0) / 100.0;
            steps.close();
            return new Floor(one, total / elapsed, total, cpu / total);
        }
    }

    /** The host steps of one sandbox's life, done with the node's own runc and mount wrappers. */
    record HostSteps(Path dir, Path lower, Runc runc, SyscallMounter mounter, Path procdJar, Path procdAot) implements AutoCloseable {
        static HostSteps prepare(Path lower) throws Exception {
            Path dir = Files.createDirectories(work.resolve("floor"));
            Path jar = dir.resolve("procd.jar");
            try (Stream<Path> s = Files.walk(data.resolve("node"), 3)) {
                Files.copy(s.filter(p -> p.getFileName().toString().equals("procd.jar")).findFirst().orElseThrow(), jar);
            }
            Path aot = dir.resolve("procd.aot");
            var train = new ArrayList<String>(List.of(javaHome + "/bin/java"));
            train.addAll(ai.sandbox0.node.ProcdRuntime.DEFAULT_JVM_FLAGS);
            train.addAll(List.of("-XX:AOTCacheOutput=" + aot, "-Xlog:cds=error", "-Xlog:aot=error", "-jar", jar.toString(), "--train"));
            new ProcessBuilder(train).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            if (!Files.exists(aot)) notes.add("The procd floor ran without an AOT cache (recording failed).");
            return new HostSteps(dir, lower, new Runc(Path.of(onPath("runc")), dir.resolve("runc")), new SyscallMounter(), jar, aot);
        }

        void cycle(int n) throws Exception {
            String name = "s0lf" + n;
            Path run = Files.createDirectories(dir.resolve(name));
            Path merged = Files.createDirectories(run.resolve("rootfs"));
            Path upper = Files.createDirectories(run.resolve("upper"));
            Path wd = Files.createDirectories(run.resolve("work"));
            Map<String, Object> spec = Map.of(
                    "ociVersion", "1.0.2",
                    "process", Map.of("terminal", false, "user", Map.of("uid", 0, "gid", 0), "args", List.of("/bin/true"),
                            "env", List.of("PATH=/usr/bin:/bin"), "cwd", "/"),
                    "root", Map.of("path", merged.toString()),
                    "hostname", "floor",
                    "mounts", List.of(Map.of("destination", "/proc", "type", "proc", "source", "proc")),
                    "linux", Map.of("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "mount"),
                            Map.of("type", "ipc"), Map.of("type", "uts"),
                            Map.of("type", "network", "path", "/run/netns/" + name))));
            JSON.writeValue(run.resolve("config.json").toFile(), spec);
            mounter.mountOverlay(List.of(lower), upper, wd, merged);
            sh("ip", "netns", "add", name);
            sh("ip", "link", "add", name + "h", "type", "veth", "peer", "name", "eth0", "netns", name);
            int rc = runc.run(name, run);
            if (rc != 0) throw new IllegalStateException("runc run /bin/true exited " + rc);
            procd();
            sh("ip", "link", "del", name + "h");
            sh("ip", "netns", "del", name);
            mounter.unmount(merged);
            sh("rm", "-rf", run.toString());
        }

        void procd() throws Exception {
            int port;
            try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            var cmd = new ArrayList<String>(List.of(javaHome + "/bin/java"));
            cmd.addAll(ai.sandbox0.node.ProcdRuntime.DEFAULT_JVM_FLAGS);
            if (Files.exists(procdAot)) cmd.add("-XX:AOTCache=" + procdAot);
            cmd.addAll(List.of("-Xlog:all=warning:stderr", "-jar", procdJar.toString(), "--port", Integer.toString(port),
                    "--bind", "127.0.0.1", "--workspace", dir.toString()));
            var pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("SANDBOX0_PROCD_TOKEN", "bench");
            Process p = pb.start();
            try {
                while (!ProcdProbe.healthy("127.0.0.1", port, 500)) {
                    if (!p.isAlive()) throw new IllegalStateException("procd on the host exited " + p.exitValue());
                    Thread.sleep(3);
                }
            } finally {
                p.destroyForcibly().waitFor();
            }
        }

        @Override
        public void close() throws Exception {
            sh("rm", "-rf", dir.toString());
        }
    }

    static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out.strip());
    }

    static String onPath(String name) {
        for (String d : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(d, name))) return Path.of(d, name).toString();
        }
        throw new IllegalStateException(name + " is not on the PATH");
    }

    // ---- numbers ----------------------------------------------------------------------------------------

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    static double pct(List<Double> l, int q) {
        synchronized (l) {
            return pct(l.stream().mapToDouble(Double::doubleValue).toArray(), q);
        }
    }

    static double pct(double[] s, double q) {
        if (s.length == 0) return Double.NaN;
        double[] c = s.clone();
        Arrays.sort(c);
        int rank = (int) Math.ceil(q / 100 * c.length); // nearest-rank percentile
        return c[Math.clamp(rank - 1, 0, c.length - 1)];
    }

    static String f(double v) {
        return Double.isNaN(v) ? "–" : v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String pp(double[] s) {
        return f(pct(s, 50)) + " / " + f(pct(s, 99)) + " ms";
    }

    static void row(String name, int n, String p50, String p99, String floor, String target) {
        System.out.println("| " + name + " | " + n + " | " + p50 + " | " + p99 + " | " + floor + " | " + target + " |");
    }
}
