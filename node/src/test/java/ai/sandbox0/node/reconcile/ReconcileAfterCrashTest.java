package ai.sandbox0.node.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.Node;
import ai.sandbox0.node.NodeConfig;
import ai.sandbox0.node.ReconcileReport;
import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.runtime.HostCommand;
import ai.sandbox0.node.runtime.ProcdProbe;
import ai.sandbox0.node.runtime.Step;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.ProcdBuild;
import ai.sandbox0.node.testing.TestNodes;
import ai.sandbox0.node.testing.TestRootfs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node with live sandboxes and a warm pool dies by SIGKILL; its successor adopts what the caller
 * still expects, removes the rest, and after a shutdown nothing of either is left on the host. An adopted
 * sandbox keeps its volume mounted; the others' volumes are unmounted with their files left in place.
 */
class ReconcileAfterCrashTest {

    @Test
    void afterKillMinusNineTheNextNodeAdoptsOrRemovesEverything() throws Exception {
        NodeConfig config = TestNodes.config("trec", "10.89.3.0/24");
        TestRootfs.get(); // the parent builds or finds procd and the image before the child needs them
        Process child = startChild(config);
        Node node = null;
        try {
            List<String> idle = awaitReady(child);
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

            // The crash left everything behind.
            assertThat(runcList(config)).containsExactlyInAnyOrder("keep", "lost", "drop", idle.getFirst());
            assertThat(netns(config)).hasSize(4);

            // "lost" is expected but died meanwhile: its changes must stay for a checkpoint.
            String lostPid = HostCommand.run(List.of(config.runtime().toString(), "--root",
                    config.stateDir().resolve("runc").toString(), "state", "lost")).stdout()
                    .replaceAll("(?s).*\"pid\":\\s*(\\d+).*", "$1");
            HostCommand.run(List.of("kill", "-9", lostPid));
            Thread.sleep(200);

            // An install of an older procd jar that nothing uses any more.
            Path oldProcd = Files.createDirectories(config.stateDir().resolve("procd/0000000000000000"));
            Files.writeString(oldProcd.resolve("procd.jar"), "old");

            node = TestNodes.open(config, Set.of("keep", "lost"));
            assertThat(oldProcd).doesNotExist();
            ReconcileReport report = node.reconcileReport();
            assertThat(report.adopted()).containsExactly("keep");
            assertThat(report.lost()).containsExactly("lost");
            assertThat(report.removed()).containsExactlyInAnyOrder("drop", idle.getFirst());
            assertThat(report.errors()).isEmpty();

            // The adopted sandbox works as before, firewall entry included.
            Sandbox keep = node.sandbox("keep").orElseThrow();
            assertThat(ProcdProbe.healthy(keep.address(), keep.procdPort(), 2000)).isTrue();
            assertThat(node.exec("keep", List.of("true"), Duration.ofSeconds(10)).ok()).isTrue();
            assertThat(HostCommand.run(List.of("nft", "list", "map", "inet", "sandbox0_trec", "egress")).stdout())
                    .contains("\"trecv" + keep.slot() + "\" : jump egress" + keep.slot());
            assertThat(HostCommand.run(List.of("nft", "list", "chain", "inet", "sandbox0_trec", "egress" + keep.slot()))
                    .stdout()).as("its block-all policy, back in force").contains("drop");
            assertThat(Files.readString(node.upperDir("lost").resolve("root/work.txt"))).isEqualTo("unsaved\n");

            // The adopted sandbox still has its volume, both ways; the lost run's volume file is in the volume,
            // not in the upper dir its checkpoint will be made of.
            Path keepVolume = CrashingNode.volumeOf(config, "keep");
            assertThat(node.exec("keep", List.of("sh", "-c", "echo after-crash > /data/adopted.txt"),
                    Duration.ofSeconds(10)).ok()).isTrue();
            assertThat(Files.readString(keepVolume.resolve("adopted.txt"))).isEqualTo("after-crash\n");
            Files.writeString(keepVolume.resolve("from-host.txt"), "host\n");
            assertThat(node.exec("keep", List.of("cat", "/data/from-host.txt"), Duration.ofSeconds(10)).stdout())
                    .isEqualTo("host\n");
            assertThat(Files.readString(CrashingNode.volumeOf(config, "lost").resolve("in-volume.txt")))
                    .isEqualTo("durable\n");
            assertThat(node.upperDir("lost").resolve("data/in-volume.txt")).doesNotExist();

            // Only what was adopted is on the host.
            assertThat(runcList(config)).containsExactly("keep");
            assertThat(netns(config)).containsExactly("trec-keep");
            assertThat(links(config)).containsExactly("trecv" + keep.slot());
            Path keepDisk = Files.readSymbolicLink(config.stateDir().resolve("sandboxes/keep/disk"));
            Path lostDisk = Files.readSymbolicLink(config.stateDir().resolve("sandboxes/lost/disk"));
            Path keepDir = config.stateDir().resolve("sandboxes/keep");
            var lowers = new java.util.ArrayList<String>();
            try (var attached = Files.list(keepDir.resolve("lower"))) {
                attached.forEach(p -> lowers.add(p.toString()));
            }
            assertThat(lowers).as("the adopted run's idmapped layers").isNotEmpty();
            var expectedMounts = new java.util.ArrayList<String>(List.of(keepDir.resolve("rootfs").toString(),
                    keepDir.resolve("userns").toString(), keepDir.resolve("volume/0").toString(), keepDisk.toString(),
                    lostDisk.toString()));
            expectedMounts.addAll(lowers);
            assertThat(mounts(config)).containsExactlyInAnyOrderElementsOf(expectedMounts);
            try (var images = Files.list(config.stateDir().resolve("disks"))) {
                assertThat(images.filter(f -> f.toString().endsWith(".img")).map(f -> f.getFileName().toString()))
                        .as("the dead node's spare disks and dropped runs' disks are gone")
                        .containsExactlyInAnyOrder(keepDisk.getFileName() + ".img", lostDisk.getFileName() + ".img");
            }
            assertThat(node.cgroups().children(config.cgroupParent()).stream().map(p -> p.getFileName().toString())
                    .distinct().toList()).containsExactly("keep");

            // A host that lost the disk's mount (a reboot) still has the image: the next node mounts it again.
            node.close();
            node = null;
            HostCommand.check(Step.UNMOUNT_ROOTFS, List.of("umount", lostDisk.toString()));
            node = TestNodes.open(config, Set.of("keep", "lost"));
            assertThat(Files.readString(node.upperDir("lost").resolve("root/work.txt"))).isEqualTo("unsaved\n");
        } finally {
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            if (node == null) {
                node = TestNodes.open(config, Set.of());
            }
            node.shutdown();
            HostLeaks.assertNoneOf(config);
        }
    }

    private static Process startChild(NodeConfig config) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        var cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                "-Ds0.root=" + ProcdBuild.repoRoot(), "-Ds0.target=" + System.getProperty("s0.target", "target"),
                "-Ds0.test.rootfs=" + TestRootfs.get(), "-Ds0.procd.checked=true",
                CrashingNode.class.getName(), config.name(), config.addressPool().toString(), config.stateDir().toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static List<String> awaitReady(Process child) throws Exception {
        var out = new StringBuffer();
        var ready = new CompletableFuture<List<String>>();
        // One reader for the child's whole life: its pipe must never fill up and block its logging.
        Thread.ofVirtual().start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("READY ")) {
                        ready.complete(List.of(line.substring(6).strip().split(" ")));
                    } else if (!ready.isDone()) {
                        out.append(line).append('\n');
                    }
                }
            } catch (java.io.IOException ignored) {
                // child gone
            }
            ready.completeExceptionally(new IllegalStateException("child node died before READY:\n" + out));
        });
        try {
            return ready.get(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("child node not READY within 120 s; its output:\n" + out, e);
        }
    }

    private static List<String> runcList(NodeConfig c) throws Exception {
        return HostCommand.run(List.of(c.runtime().toString(), "--root", c.stateDir().resolve("runc").toString(),
                "list", "-q")).stdout().lines().filter(l -> !l.isBlank()).toList();
    }

    private static List<String> netns(NodeConfig c) throws Exception {
        return HostCommand.run(List.of("ip", "netns", "list")).stdout().lines()
                .map(l -> l.split(" ")[0]).filter(l -> l.startsWith(c.name() + "-")).toList();
    }

    private static List<String> links(NodeConfig c) throws Exception {
        return HostCommand.run(List.of("ip", "-o", "link", "show")).stdout().lines()
                .map(l -> l.split(":\\s+")[1].split("@")[0]).filter(l -> l.startsWith(c.name() + "v")).toList();
    }

    private static List<String> mounts(NodeConfig c) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1])
                .filter(m -> m.startsWith(c.stateDir().toString())).toList();
    }
}
