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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Volumes bound into real sandboxes: owners are the same on the host and inside (idmapped, not shifted by the
 * sandbox's host ids), writes are seen both ways at once, a read-only one refuses writes, the mount path need
 * not exist in the image (nor be writable: a read-only root), and neither a checkpoint nor a teardown takes
 * the volume's files along.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VolumeBindTest {

    private static final Resources SMALL = Resources.of("500m", "512Mi");

    private NodeConfig config;
    private Node node;
    private Path volumes;

    @BeforeAll
    void open() throws Exception {
        config = TestNodes.config("tvol", "10.89.9.0/24");
        node = Node.open(config, TestRootfs.storage(), Set.of());
        // Beside the node's dirs, so the node's cleanup takes them too; like a volume pool's, owned by root.
        volumes = Files.createDirectories(config.stateDir().resolve("test-volumes"));
    }

    @AfterAll
    void shutdown() throws Exception {
        if (node != null) {
            node.shutdown();
            HostLeaks.assertNoneOf(config);
        }
    }

    private Path volume(String name) throws Exception {
        return Files.createDirectories(volumes.resolve(name));
    }

    @Test
    void ownersWritesAndReadOnlyAreTheSameOnBothSides() throws Exception {
        Path rw = volume("rw");
        Path ro = volume("ro");
        Path seed = Files.writeString(rw.resolve("seed.txt"), "from the host\n");
        Files.setAttribute(seed, "unix:uid", 1000);
        Files.setAttribute(seed, "unix:gid", 1000);
        Path shared = Files.createDirectories(rw.resolve("u1000"));
        Files.setAttribute(shared, "unix:uid", 1000);
        Files.setAttribute(shared, "unix:gid", 1000);
        Files.writeString(ro.resolve("readme"), "read me\n");

        // Neither path exists in the image: runc makes them in the root.
        Sandbox s = node.start("vol-1", TestRootfs.defaultImage().chain(), SMALL, NetworkMode.BLOCK_ALL, Map.of(),
                List.of(), SandboxSecurity.DEFAULT, List.of(new VolumeBind(rw, "/workspace/data", false),
                        new VolumeBind(ro, "/mnt/shared", true)));

        assertThat(sh(s, "stat -c '%u:%g' /workspace/data/seed.txt /workspace/data/u1000").stdout().lines().toList())
                .as("a file the host stores as 1000:1000 is 1000:1000 inside").containsExactly("1000:1000", "1000:1000");
        assertThat(sh(s, "cat /workspace/data/seed.txt").stdout()).isEqualTo("from the host\n");

        ExecResult writes = sh(s, "echo by-root > /workspace/data/by-root.txt && setpriv --reuid=1000 --regid=1000"
                + " --clear-groups sh -c 'echo by-1000 > /workspace/data/u1000/by-1000.txt && mkdir /workspace/data/u1000/d'"
                + " && echo ok");
        assertThat(writes.stdout()).as(writes.toString()).contains("ok");
        assertThat(Files.readString(rw.resolve("by-root.txt"))).as("the host sees the write at once").isEqualTo("by-root\n");
        assertThat(owner(rw.resolve("by-root.txt"))).as("stored with its container-side owner").isEqualTo("0:0");
        assertThat(Files.readString(rw.resolve("u1000/by-1000.txt"))).isEqualTo("by-1000\n");
        assertThat(owner(rw.resolve("u1000/by-1000.txt"))).isEqualTo("1000:1000");
        assertThat(owner(rw.resolve("u1000/d"))).isEqualTo("1000:1000");

        Files.writeString(rw.resolve("later.txt"), "written by the host while it runs\n");
        assertThat(sh(s, "cat /workspace/data/later.txt").stdout()).as("the sandbox sees host writes at once")
                .isEqualTo("written by the host while it runs\n");

        assertThat(sh(s, "cat /mnt/shared/readme").stdout()).isEqualTo("read me\n");
        ExecResult refused = sh(s, "touch /mnt/shared/x; echo rc=$?; rm -f /mnt/shared/readme; echo rc=$?");
        assertThat(refused.stdout() + refused.stderr()).contains("Read-only file system").contains("rc=1")
                .doesNotContain("rc=0");
        assertThat(ro.resolve("x")).doesNotExist();
        assertThat(ro.resolve("readme")).exists();

        node.destroy(s.id());
        assertThat(runMounts()).as("teardown leaves no mount").isEmpty();
        assertThat(Files.readString(rw.resolve("u1000/by-1000.txt"))).as("and the volume's files stay").isEqualTo("by-1000\n");
        assertThat(Files.readString(ro.resolve("readme"))).isEqualTo("read me\n");
    }

    @Test
    void aCheckpointHoldsTheMountPathButNeverTheVolumesFiles() throws Exception {
        Path data = volume("kept-out");
        var binds = List.of(new VolumeBind(data, "/data", false));
        Sandbox s = node.start("vol-cp-1", TestRootfs.defaultImage().chain(), SMALL, NetworkMode.BLOCK_ALL, Map.of(),
                List.of(), SandboxSecurity.DEFAULT, binds);
        assertThat(sh(s, "head -c 4M /dev/urandom > /data/big && echo note > /data/note && echo root > /root/rootfs.txt"
                + " && echo ok").stdout()).contains("ok");

        LayerChain paused = node.checkpoint(s.id());
        assertThat(runMounts()).as("the checkpoint unmounted it").isEmpty();
        assertThat(Files.size(data.resolve("big"))).isEqualTo(4L << 20);

        // Without the volume, the next run has the rootfs change and an empty mount point: nothing of the volume.
        Sandbox bare = node.start("vol-cp-2", paused, SMALL, NetworkMode.BLOCK_ALL, Map.of());
        assertThat(sh(bare, "cat /root/rootfs.txt; ls -A /data | wc -l").stdout().lines().toList())
                .containsExactly("root", "0");
        node.destroy(bare.id());

        // With it again (a resume), the same files.
        Sandbox again = node.start("vol-cp-3", paused, SMALL, NetworkMode.BLOCK_ALL, Map.of(), List.of(),
                SandboxSecurity.DEFAULT, binds);
        assertThat(sh(again, "cat /data/note /root/rootfs.txt").stdout()).isEqualTo("note\nroot\n");
        node.destroy(again.id());
        assertThat(runMounts()).isEmpty();
    }

    @Test
    void aReadOnlyRootStillGetsItsWritableVolume() throws Exception {
        Path data = volume("ro-root");
        var readOnlyRoot = new SandboxSecurity(0, 0, true, true, Set.of(), Set.of(), true);
        Sandbox s = node.start("vol-ror", TestRootfs.defaultImage().chain(), SMALL, NetworkMode.BLOCK_ALL, Map.of(),
                List.of(), readOnlyRoot, List.of(new VolumeBind(data, "/srv/app/data", false)));
        ExecResult r = sh(s, "touch /etc/x; echo root=$?; echo v > /srv/app/data/v && echo volume=ok");
        assertThat(r.stdout() + r.stderr()).contains("Read-only file system").contains("root=1").contains("volume=ok");
        assertThat(Files.readString(data.resolve("v"))).isEqualTo("v\n");
        node.destroy(s.id());
        assertThat(runMounts()).isEmpty();
    }

    @Test
    void aMissingSourceFailsTheStartNamingTheMountAndLeavesNothing() throws Exception {
        Path missing = volumes.resolve("never-made");
        var failed = org.assertj.core.api.Assertions.catchThrowable(() -> node.start("vol-bad",
                TestRootfs.defaultImage().chain(), SMALL, NetworkMode.BLOCK_ALL, Map.of(), List.of(),
                SandboxSecurity.DEFAULT, List.of(new VolumeBind(missing, "/data", false))));
        assertThat(failed).hasMessageContaining("mount volume").hasMessageContaining("/data");
        assertThat(node.sandbox("vol-bad")).isEmpty();
        assertThat(runMounts()).isEmpty();
        assertThat(config.stateDir().resolve("sandboxes/vol-bad")).doesNotExist();
    }

    /**
     * A volume of a real pool (a btrfs subvolume): the pool sees it mounted while a run has it (so it refuses to
     * delete it), its limit reaches inside as EDQUOT, and after the checkpoint it is free again.
     */
    @Test
    void aPoolVolumeIsBusyWhileARunHasItAndBoundedInside() throws Exception {
        String id = "7c0f3b2a-5d1e-4f6a-8b9c-0d1e2f3a4b5c";
        try (var pool = ai.sandbox0.node.volume.VolumePool.open(config.stateDir().resolve("test-pool"), 1L << 30)) {
            pool.create(id, 1000, 1000);
            pool.limit(id, java.util.OptionalLong.of(16L << 20));
            Sandbox s = node.start("vol-pool", TestRootfs.defaultImage().chain(), SMALL, NetworkMode.BLOCK_ALL, Map.of(),
                    List.of(), SandboxSecurity.DEFAULT, List.of(new VolumeBind(pool.root(id), "/data", false)));
            assertThat(pool.mounted(id)).isTrue();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.deleteVolume(id))
                    .isInstanceOf(ai.sandbox0.node.volume.VolumeBusyException.class);

            ExecResult r = sh(s, "stat -c %u:%g /data; setpriv --reuid=1000 --regid=1000 --clear-groups"
                    + " sh -c 'echo mine > /data/mine.txt; head -c 32M /dev/zero > /data/big; echo rc=$?'");
            assertThat(r.stdout() + r.stderr()).contains("1000:1000").contains("Disk quota exceeded").contains("rc=1");
            assertThat(owner(pool.root(id).resolve("mine.txt"))).isEqualTo("1000:1000");

            node.checkpoint(s.id());
            assertThat(pool.mounted(id)).as("the checkpoint unmounted it").isFalse();
            assertThat(Files.readString(pool.root(id).resolve("mine.txt"))).isEqualTo("mine\n");
            pool.deleteVolume(id);
        }
        assertThat(runMounts()).isEmpty();
    }

    private ExecResult sh(Sandbox s, String script) throws Exception {
        return node.exec(s.id(), List.of("sh", "-c", script), Duration.ofSeconds(60));
    }

    private static String owner(Path p) throws Exception {
        return Files.getAttribute(p, "unix:uid") + ":" + Files.getAttribute(p, "unix:gid");
    }

    /** Mounts of sandbox runs of this node (its disks' mounts aside). */
    private List<String> runMounts() throws Exception {
        Path runs = config.stateDir().resolve("sandboxes");
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1])
                .filter(m -> m.startsWith(runs.toString())).toList();
    }
}
