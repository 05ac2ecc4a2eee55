package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.runtime.ExecResult;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.TestNodes;
import ai.sandbox0.node.testing.TestRootfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A sandbox's ephemeral storage bounds everything it writes (its root filesystem, /tmp included, and its
 * log), enforced by the kernel: past it the writer gets ENOSPC, the host disk does not grow, and the
 * sandbox works again once it deletes files. /tmp is kept by a checkpoint like every other path.
 */
class DiskBoundTest {

    private static final Resources SMALL_DISK = new Resources(500, 512L << 20, 512, 64L << 20);

    @Test
    void writesPastTheEphemeralStorageFailInsideAndNowhereElse() throws Exception {
        LayerChain image = TestRootfs.defaultImage().chain();
        NodeConfig config = TestNodes.config("tdisk", "10.89.6.0/24");
        Node node = Node.open(config, TestRootfs.storage(), Set.of());
        try {
            Sandbox s = node.start("disk-1", image, SMALL_DISK, NetworkMode.BLOCK_ALL, Map.of());

            ExecResult df = sh(node, s, "df -k / | tail -1 | awk '{print $2}'");
            long sizeKb = Long.parseLong(df.stdout().strip());
            assertThat(sizeKb).as("df / shows the sandbox's own disk").isBetween(50L * 1024, 64L * 1024);

            ExecResult flood = sh(node, s, "head -c 100M /dev/zero > /tmp/big; echo rc=$?");
            assertThat(flood.stdout() + flood.stderr()).contains("No space left on device").contains("rc=1");
            ExecResult log = sh(node, s, "head -c 10M /dev/zero > /proc/1/fd/1; echo rc=$?");
            assertThat(log.stdout() + log.stderr()).as("the log is on the same disk").contains("rc=1");
            Path disk = Files.readSymbolicLink(config.stateDir().resolve("sandboxes/disk-1/disk"));
            assertThat(allocatedBytes(disk.resolveSibling(disk.getFileName() + ".img")))
                    .as("the host holds at most the disk").isLessThanOrEqualTo(66L << 20);

            ExecResult recovered = sh(node, s, "rm /tmp/big && head -c 10M /dev/zero > /root/ok && echo written");
            assertThat(recovered.stdout()).as(recovered.toString()).contains("written");

            assertThat(sh(node, s, "echo kept > /tmp/note").ok()).isTrue();
            LayerChain paused = node.checkpoint(s.id());
            Sandbox resumed = node.start("disk-2", paused, SMALL_DISK, NetworkMode.BLOCK_ALL, Map.of());
            assertThat(sh(node, resumed, "cat /tmp/note").stdout()).isEqualTo("kept\n");
        } finally {
            node.shutdown();
            HostLeaks.assertNoneOf(config);
        }
    }

    @Test
    void anEmptyDirHasItsOwnBoundAndIsEmptyAtEveryStart() throws Exception {
        NodeConfig config = TestNodes.config("tempd", "10.89.8.0/24");
        Node node = Node.open(config, TestRootfs.storage(), Set.of());
        try {
            var scratch = List.of(new EmptyDir("/scratch", 32L << 20));
            Sandbox s = node.start("empty-1", TestRootfs.defaultImage().chain(), SMALL_DISK, NetworkMode.BLOCK_ALL,
                    Map.of(), scratch);
            assertThat(sh(node, s, "ls -A /scratch | wc -l").stdout().strip()).as("nothing in it, not even lost+found")
                    .isEqualTo("0");
            ExecResult fill = sh(node, s, "head -c 40M /dev/zero > /scratch/big; echo rc=$?; ls -l /scratch/big | awk '{print $5}'");
            assertThat(fill.stdout() + fill.stderr()).contains("No space left on device").contains("rc=1");
            long written = Long.parseLong(fill.stdout().lines().toList().getLast().strip());
            assertThat(written).as("the empty dir's own bound, not the root's").isBetween(20L << 20, 32L << 20);
            assertThat(sh(node, s, "head -c 30M /dev/zero > /root/also && echo root-ok").stdout())
                    .as("counted against nothing else").contains("root-ok");
            assertThat(sh(node, s, "su nobody -s /bin/sh -c 'touch /scratch/by-nobody' && echo writable").stdout())
                    .contains("writable");

            LayerChain paused = node.checkpoint(s.id());
            Sandbox next = node.start("empty-2", paused, SMALL_DISK, NetworkMode.BLOCK_ALL, Map.of(), scratch);
            assertThat(sh(node, next, "ls -A /scratch | wc -l; test -f /root/also && echo root-kept").stdout().lines()
                    .toList()).containsExactly("0", "root-kept");
        } finally {
            node.shutdown();
            HostLeaks.assertNoneOf(config);
        }
    }

    @Test
    void aFloodedLogIsRotatedKeepingItsLastPart() throws Exception {
        NodeConfig config = TestNodes.config("tlogs", "10.89.7.0/24").withLogCap(64 * 1024);
        Node node = Node.open(config, TestRootfs.storage(), Set.of());
        try {
            Sandbox s = node.start("logs-1", TestRootfs.defaultImage().chain(), SMALL_DISK, NetworkMode.BLOCK_ALL,
                    Map.of());
            ExecResult flood = sh(node, s, "for i in $(seq 1 20000); do echo \"flood $i\"; done > /proc/1/fd/1; echo done");
            assertThat(flood.stdout()).contains("done");
            Path log = node.procdLog(s.id());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Files.size(log) > 64 * 1024 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(Files.size(log)).as("the log is back under its cap").isLessThanOrEqualTo(64 * 1024);
            Path rotated = log.resolveSibling("procd.log.1");
            assertThat(Files.size(rotated)).isLessThanOrEqualTo(64 * 1024);
            assertThat(Files.readString(rotated) + Files.readString(log)).as("the last part is kept").contains("flood 20000");
        } finally {
            node.shutdown();
            HostLeaks.assertNoneOf(config);
        }
    }

    /** The blocks a (sparse) file takes on the host disk. */
    private static long allocatedBytes(Path file) throws Exception {
        var du = new ProcessBuilder("du", "-k", "--", file.toString()).start();
        String line = new String(du.getInputStream().readAllBytes()).strip();
        du.waitFor();
        return Long.parseLong(line.split("\\s+")[0]) * 1024;
    }

    private static ExecResult sh(Node node, Sandbox s, String script) throws Exception {
        return node.exec(s.id(), List.of("sh", "-c", script), Duration.ofSeconds(60));
    }
}
