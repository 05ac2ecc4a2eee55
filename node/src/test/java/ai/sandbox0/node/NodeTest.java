package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.pool.Claim;
import ai.sandbox0.node.pool.PoolSpec;
import ai.sandbox0.node.pool.WarmPool;
import ai.sandbox0.node.runtime.Diagnosis;
import ai.sandbox0.node.runtime.ProcdProbe;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.runtime.SandboxStartException;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.TestNodes;
import ai.sandbox0.node.testing.TestRootfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The facade on a real host: warm pools, failed starts, stop keeping the upper dir. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeTest {

    private Node node;

    @BeforeAll
    void open() throws Exception {
        node = TestNodes.open("tnode", "10.89.2.0/24");
    }

    @AfterAll
    void shutdown() throws Exception {
        if (node != null) {
            node.shutdown();
            HostLeaks.assertNoneOf(node.config());
        }
    }

    /** procd: the child of the sandbox's tini. */
    private static long procdPid(Sandbox s) throws Exception {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (Integer.parseInt(f[1]) == s.initPid()) {
                        return Long.parseLong(p.getFileName().toString());
                    }
                } catch (java.io.IOException gone) {
                    // exited while listed
                }
            }
        }
        throw new AssertionError("no child of tini " + s.initPid());
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 60 s");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void warmPoolClaimRefillAndDrainOnTemplateChange() throws Exception {
        WarmPool pool = node.configurePool(PoolSpec.of("tpl", TestNodes.spec("proto", NetworkMode.ALLOW_ALL), 2, 3));
        await(() -> pool.idleCount() == 2);
        List<String> firstIdle = pool.idleIds();

        Claim claim = node.claim("tpl");
        assertThat(claim).isInstanceOf(Claim.Warm.class);
        Sandbox s = claim.sandbox();
        assertThat(firstIdle).contains(s.id());
        assertThat(ProcdProbe.healthy(s.address(), s.procdPort(), 2000)).isTrue();
        String procdLog = Files.readString(node.procdLog(s.id()));
        assertThat(procdLog).contains("procd ready port=49983").doesNotContain("[warning]");
        // procd runs on its AOT cache (the JVM starts without one it cannot use, ~30 ms slower, silently).
        assertThat(Files.readString(Path.of("/proc/" + procdPid(s) + "/maps"))).contains("/opt/sandbox0/procd/procd.aot");
        await(() -> pool.idleCount() == 2); // refilled in the background

        // A template change: the idle sandboxes of the old spec go, new ones come; the claimed one stays.
        SandboxSpec changed = new SandboxSpec("proto", List.of(TestRootfs.get()), Resources.of("250m", "256Mi"),
                NetworkMode.BLOCK_ALL, Map.of("TEMPLATE_VERSION", "2"), null);
        List<String> before = pool.idleIds();
        node.configurePool(PoolSpec.of("tpl", changed, 1, 1));
        await(() -> pool.idleCount() == 1 && !before.contains(pool.idleIds().getFirst())
                && before.stream().noneMatch(id -> node.sandbox(id).isPresent()));
        Sandbox fresh = node.claim("tpl").sandbox();
        assertThat(fresh.networkMode()).isEqualTo(NetworkMode.BLOCK_ALL);
        assertThat(node.exec(fresh.id(), List.of("sh", "-c", "echo $TEMPLATE_VERSION"), Duration.ofSeconds(10))
                .stdout().strip()).isEqualTo("2");
        assertThat(node.sandbox(s.id())).isPresent();

        node.removePool("tpl");
        assertThat(node.sandboxes()).extracting(Sandbox::id).containsExactlyInAnyOrder(s.id(), fresh.id());
        node.destroy(s.id());
        node.destroy(fresh.id());
    }

    @Test
    void anEmptyPoolStartsColdForTheClaim() throws Exception {
        node.configurePool(PoolSpec.of("cold", TestNodes.spec("proto", NetworkMode.ALLOW_ALL), 0, 0));
        Claim claim = node.claim("cold");
        assertThat(claim).isInstanceOf(Claim.Cold.class);
        assertThat(ProcdProbe.healthy(claim.sandbox().address(), claim.sandbox().procdPort(), 2000)).isTrue();
        node.removePool("cold");
        node.destroy(claim.sandbox().id());
    }

    @Test
    void aFailedStartSaysWhyAndLeavesNothing() throws Exception {
        SandboxSpec broken = new SandboxSpec("broken", List.of(TestRootfs.get()), Resources.of("500m", "512Mi"),
                NetworkMode.ALLOW_ALL, Map.of("JAVA_TOOL_OPTIONS", "-XX:+NoSuchOptionAnywhere"), null);
        assertThatThrownBy(() -> node.start(broken))
                .isInstanceOfSatisfying(SandboxStartException.class, e -> {
                    assertThat(e.diagnosis()).isInstanceOf(Diagnosis.Exited.class);
                    assertThat(((Diagnosis.Exited) e.diagnosis()).exitCode()).isEqualTo(1);
                })
                .hasMessageContaining("wait for procd ready: broken: procd exited with code 1")
                .hasMessageContaining("Unrecognized VM option 'NoSuchOptionAnywhere'");
        assertThat(node.sandbox("broken")).isEmpty();
        assertThat(Files.exists(node.config().stateDir().resolve("sandboxes/broken"))).isFalse();
        assertThat(Files.exists(node.config().host().netnsDir().resolve("tnode-broken"))).isFalse();
        // The id is free again.
        Sandbox ok = node.start(TestNodes.spec("broken", NetworkMode.ALLOW_ALL));
        node.destroy(ok.id());
    }

    @Test
    void procdRunsOnTheHostsCLibraryInAnImageWithoutAny(@org.junit.jupiter.api.io.TempDir java.nio.file.Path empty)
            throws Exception {
        // Not a single library or program: an image of static binaries (or musl, or an old glibc) gets procd anyway.
        SandboxSpec bare = SandboxSpec.of("bare", List.of(empty), Resources.of("500m", "512Mi"), NetworkMode.BLOCK_ALL);
        Sandbox s = node.start(bare);
        try {
            assertThat(ProcdProbe.healthy(s.address(), s.procdPort(), 2000)).isTrue();
            assertThat(node.exec(s.id(), List.of("/opt/sandbox0/tini", "--version"), Duration.ofSeconds(10)).stdout())
                    .contains("tini version");
        } finally {
            node.destroy(s.id());
        }
    }

    @Test
    void aStateDirSandboxesCannotReachIsRefusedAtOpenNamingTheDirectory() throws Exception {
        java.nio.file.Path closed = Files.createTempDirectory("s0node-closed-"); // 0700, like /root
        NodeConfig config = TestNodes.config("tclosed", "10.89.7.0/24");
        try {
            NodeConfig inside = new NodeConfig(config.name(), closed.resolve("node"), config.procd(), config.runtime(),
                    config.ip(), config.nft(), config.unshare(), config.ldd(), config.addressPool(), config.nameservers(), config.privateRanges(),
                    config.readyTimeout(), config.starts(), config.spareDisks(), config.logCapBytes(),
                    config.firstHostId(), config.host(), config.egressTrustedCaFile());
            Files.createDirectories(inside.stateDir());
            assertThatThrownBy(() -> TestNodes.open(inside, java.util.Set.of()))
                    .isInstanceOf(ai.sandbox0.node.runtime.SetupException.class)
                    .hasMessageContaining("is below " + closed + ", which others may not search");
        } finally {
            new ProcessBuilder("rm", "-rf", "--one-file-system", closed.toString(), config.stateDir().toString())
                    .start().waitFor();
        }
    }

    @Test
    void aRefusedCreateNamesTheStepAndRuncsReasonAndLeavesNothing() throws Exception {
        SandboxSpec badMount = new SandboxSpec("badmount", List.of(TestRootfs.get()), Resources.of("500m", "512Mi"),
                NetworkMode.ALLOW_ALL, null, List.of(ai.sandbox0.node.runtime.OciMount.readOnlyBind(
                        java.nio.file.Path.of("/nonexistent/volume"), "/data")));
        assertThatThrownBy(() -> node.start(badMount))
                .isInstanceOf(ai.sandbox0.node.runtime.RuncException.class)
                .hasMessageStartingWith("runc run: badmount: runc exited 1")
                .hasMessageContaining("/nonexistent/volume");
        assertThat(Files.exists(node.config().stateDir().resolve("sandboxes/badmount"))).isFalse();
        assertThat(Files.exists(node.config().host().netnsDir().resolve("tnode-badmount"))).isFalse();
        assertThat(Files.readAllLines(java.nio.file.Path.of("/proc/self/mounts")))
                .noneMatch(l -> l.contains("sandboxes/badmount"));
    }

    /** The sandbox's CPU quota as the kernel has it, in microseconds per 100 ms period. */
    private long cpuQuota(Sandbox sandbox) throws Exception {
        return cpuSetting(sandbox, "cpu.cfs_quota_us", "cpu.max");
    }

    /** The sandbox's CPU weight as the kernel has it, in v1 shares (v2: its weight). */
    private long cpuWeight(Sandbox sandbox) throws Exception {
        return cpuSetting(sandbox, "cpu.shares", "cpu.weight");
    }

    /** The first number of a file of the sandbox's cpu controller: {@code v1File} on v1, {@code v2File} on v2. */
    private long cpuSetting(Sandbox sandbox, String v1File, String v2File) throws Exception {
        String path = sandbox.cgroupPath().startsWith("/") ? sandbox.cgroupPath().substring(1) : sandbox.cgroupPath();
        Path file = switch (node.cgroups()) {
            case ai.sandbox0.node.runtime.CgroupLayout.V1 v1 -> v1.root().resolve("cpu").resolve(path).resolve(v1File);
            case ai.sandbox0.node.runtime.CgroupLayout.V2 v2 -> v2.root().resolve(path).resolve(v2File);
        };
        return Long.parseLong(Files.readString(file).strip().split(" ")[0]);
    }


    @Test
    void aStartingSandboxRunsUnthrottledUntilProcdIsWarmThenGetsItsQuota() throws Exception {
        Sandbox sandbox = node.start(TestNodes.spec("quota", NetworkMode.ALLOW_ALL));
        try {
            // It started at a low weight (behind running sandboxes); handed out, it weighs what 500m does.
            long weight = cpuWeight(sandbox);
            assertThat(weight).isEqualTo(node.cgroups() instanceof ai.sandbox0.node.runtime.CgroupLayout.V1 ? 512 : 20);
            await(() -> {
                try {
                    return cpuQuota(sandbox) == 50_000; // 500m of a 100 ms period
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            node.destroy(sandbox.id());
        }
    }

    @Test
    void stopKeepsTheUpperDirForACheckpoint() throws Exception {
        Sandbox s = node.start(TestNodes.spec("keeper", NetworkMode.ALLOW_ALL));
        assertThat(node.exec(s.id(), List.of("sh", "-c", "echo kept > /root/file && rm /etc/issue"),
                Duration.ofSeconds(10)).ok()).isTrue();
        node.stop(s.id());
        assertThat(node.sandbox(s.id())).isEmpty();
        assertThat(Files.readString(node.upperDir(s.id()).resolve("root/file"))).isEqualTo("kept\n");
        // overlayfs records the deletion as a whiteout (a 0/0 character device) in the upper dir.
        assertThat(Files.exists(node.upperDir(s.id()).resolve("etc/issue"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readAllLines(java.nio.file.Path.of("/proc/self/mounts")))
                .noneMatch(l -> l.contains(node.config().stateDir().resolve("sandboxes/keeper").toString()));
        node.destroy(s.id());
        assertThat(Files.exists(node.upperDir(s.id()))).isFalse();
    }

    @Test
    void killStopsEveryProcessAtOnceAndDestroyRemovesTheRestLater() throws Exception {
        Sandbox s = node.start(TestNodes.spec("killed", NetworkMode.ALLOW_ALL));
        // A process of its own besides procd, detached from procd's tree.
        assertThat(node.exec(s.id(), List.of("sh", "-c", "setsid sleep 600 >/dev/null 2>&1 < /dev/null &"),
                Duration.ofSeconds(10)).ok()).isTrue();
        long procd = procdPid(s);
        node.kill(s.id());
        await(() -> !ProcessHandle.of(s.initPid()).map(ProcessHandle::isAlive).orElse(false)
                && !ProcessHandle.of(procd).map(ProcessHandle::isAlive).orElse(false)
                && ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").equals("sleep 600")));
        // Nothing runs; its pieces are still there until the destroy.
        assertThat(Files.exists(node.config().stateDir().resolve("sandboxes/killed"))).isTrue();
        node.destroy(s.id());
        assertThat(Files.exists(node.config().stateDir().resolve("sandboxes/killed"))).isFalse();
    }

    @Test
    void anIdleSandboxsProcdIsNotWokenByItsReaperOrTheJvmsHousekeeping() throws Exception {
        Sandbox s = node.start(TestNodes.spec("sleeper", NetworkMode.ALLOW_ALL));
        try {
            await(() -> ProcdProbe.warm(s.address(), s.procdPort(), 2000));
            var http = java.net.http.HttpClient.newHttpClient();
            var create = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.procdUrl() + "/api/v1/contexts"))
                    .header("Authorization", "Bearer " + s.token()).timeout(Duration.ofSeconds(10))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"type\":\"repl\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(create.statusCode()).as(create.body()).isEqualTo(201);
            http.close();
            long procd = procdPid(s);
            Thread.sleep(1500); // the request's threads go quiet
            Map<String, Long> before = wakeUpsByThread(procd);
            Thread.sleep(4000);
            Map<String, Long> after = wakeUpsByThread(procd);
            for (String thread : List.of("Monitor Deflati", "Service Thread", "ForkJoinPool")) {
                assertThat(after.getOrDefault(thread, 0L) - before.getOrDefault(thread, 0L))
                        .as("wake-ups of procd's %s threads in 4 s, idle with a REPL context", thread)
                        .isLessThanOrEqualTo(1);
            }
        } finally {
            node.destroy(s.id());
        }
    }

    /** Context switches of a process's threads by name (ForkJoinPool workers summed). */
    private static Map<String, Long> wakeUpsByThread(long pid) throws java.io.IOException {
        var out = new java.util.HashMap<String, Long>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String name = Files.readString(task.resolve("comm")).strip();
                String key = name.startsWith("ForkJoinPool") ? "ForkJoinPool" : name;
                for (String line : Files.readAllLines(task.resolve("status"))) {
                    if (line.contains("ctxt_switches:")) {
                        out.merge(key, Long.parseLong(line.replaceAll("\\D+", "")), Long::sum);
                    }
                }
            }
        }
        return out;
    }
}
