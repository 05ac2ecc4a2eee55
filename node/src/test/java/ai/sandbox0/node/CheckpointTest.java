package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.runtime.ExecResult;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.TestNodes;
import ai.sandbox0.node.testing.TestRootfs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Pause and resume through real sandboxes: a run's changes become a layer on the image's chain, and a
 * new run from that chain sees exactly them (file, deletion, symlink, mode, empty dir), and nothing of
 * the runtime's own mounts.
 */
class CheckpointTest {

    private static final Resources SMALL = Resources.of("500m", "512Mi");

    @Test
    void changesSurviveCheckpointAndANewRun() throws Exception {
        LayerChain image = TestRootfs.defaultImage().chain();
        Node node = Node.open(TestNodes.config("tckpt", "10.89.4.0/24"), TestRootfs.storage(), Set.of());
        try {
            Sandbox first = node.start("ckpt-1", image, SMALL, NetworkMode.BLOCK_ALL, Map.of());
            ExecResult change = sh(node, first, String.join(" && ",
                    "echo hello > /root/file.txt",
                    "rm /etc/issue",
                    "ln -s /root/file.txt /root/link",
                    "chmod 0751 /root/file.txt",
                    "mkdir -p /srv/empty",
                    "rm -rf /usr/share/doc/git"));
            assertThat(change.ok()).as(change.toString()).isTrue();

            LayerChain paused = node.checkpoint(first.id());
            assertThat(paused.depth()).isEqualTo(image.depth() + 1);
            assertThat(node.sandbox(first.id())).isEmpty();

            Sandbox second = node.start("ckpt-2", paused, SMALL, NetworkMode.BLOCK_ALL, Map.of());
            ExecResult seen = sh(node, second, String.join("; ",
                    "cat /root/file.txt",
                    "test -e /etc/issue && echo issue-present || echo issue-gone",
                    "readlink /root/link",
                    "stat -c %a /root/file.txt",
                    "test -d /srv/empty && ls -A /srv/empty | wc -l",
                    "test -e /usr/share/doc/git && echo doc-present || echo doc-gone",
                    "ls /opt/sandbox0"));
            assertThat(seen.stdout().lines().toList()).containsExactly(
                    "hello", "issue-gone", "/root/file.txt", "751", "0", "doc-gone", "jdk", "procd", "tini");

            // A run that changes nothing adds no layer.
            assertThat(node.checkpoint(second.id())).isEqualTo(paused);
        } finally {
            node.shutdown();
            HostLeaks.assertNoneOf(node.config());
        }
    }

    @Test
    void ownersAndFileCapabilitiesStayTheContainersWhicheverHostIdsTheNextRunGets() throws Exception {
        LayerChain image = TestRootfs.defaultImage().chain();
        Node node = Node.open(TestNodes.config("tckpo", "10.89.6.0/24"), TestRootfs.storage(), Set.of());
        try {
            Sandbox first = node.start("owner-1", image, SMALL, NetworkMode.BLOCK_ALL, Map.of());
            ExecResult change = node.exec(first.id(), List.of("python3", "-c", String.join("\n",
                    "import os, struct",
                    "open('/root/by-root', 'w').write('r')",
                    "os.makedirs('/home/dev', exist_ok=True)",
                    "open('/home/dev/by-dev', 'w').write('d')",
                    "os.chown('/home/dev/by-dev', 1000, 1000)",
                    "open('/root/bind-low', 'w').write('b')",
                    // cap_net_bind_service, permitted and effective, for the sandbox's root
                    "os.setxattr('/root/bind-low', 'security.capability', struct.pack('<5I', 0x02000001, 1 << 10, 0, 0, 0))")),
                    Duration.ofSeconds(30));
            assertThat(change.ok()).as(change.toString()).isTrue();
            LayerChain paused = node.checkpoint(first.id());

            // The next run must not reuse the first one's host ids, or an unshifted layer would look right.
            Sandbox holder = node.start("owner-hold", image, SMALL, NetworkMode.BLOCK_ALL, Map.of());
            Sandbox second = node.start("owner-2", paused, SMALL, NetworkMode.BLOCK_ALL, Map.of());
            assertThat(node.config().ids(second.slot())).isNotEqualTo(node.config().ids(first.slot()));
            ExecResult seen = node.exec(second.id(), List.of("python3", "-c", String.join("\n",
                    "import os",
                    "for p in ['/root/by-root', '/home/dev/by-dev']:",
                    "    st = os.stat(p); print(st.st_uid, st.st_gid)",
                    "print(os.getxattr('/root/bind-low', 'security.capability').hex())")), Duration.ofSeconds(30));
            assertThat(seen.stdout().lines().toList()).as(seen.toString())
                    .containsExactly("0 0", "1000 1000", "0100000200040000000000000000000000000000");
            // On the host, the checkpoint layer says container ids: it means the same under any run's map.
            java.nio.file.Path layer = second.spec().lowerDirs().getLast();
            assertThat(java.nio.file.Files.getAttribute(layer.resolve("root/by-root"), "unix:uid")).isEqualTo(0);
            assertThat(java.nio.file.Files.getAttribute(layer.resolve("home/dev/by-dev"), "unix:uid")).isEqualTo(1000);
            assertThat(java.nio.file.Files.getAttribute(layer.resolve("home/dev/by-dev"), "unix:gid")).isEqualTo(1000);
            node.destroy(holder.id());
        } finally {
            node.shutdown();
            HostLeaks.assertNoneOf(node.config());
        }
    }

    @Test
    void aSandboxClaimedFromAPoolOfAChainCanBeCheckpointed() throws Exception {
        LayerChain image = TestRootfs.defaultImage().chain();
        Node node = Node.open(TestNodes.config("tckpp", "10.89.5.0/24"), TestRootfs.storage(), Set.of());
        try {
            var proto = new ai.sandbox0.node.runtime.SandboxSpec("proto", node.layerDirs("pool:tpl", image), SMALL,
                    NetworkMode.ALLOW_ALL, Map.of(), List.of());
            var pool = node.configurePool(ai.sandbox0.node.pool.PoolSpec.of("tpl", proto, 1, 1));
            while (pool.idleCount() < 1) {
                Thread.sleep(20);
            }
            Sandbox claimed = node.claim("tpl").sandbox();
            node.removePool("tpl");
            node.releaseLayers("pool:tpl");
            assertThat(sh(node, claimed, "echo from-pool > /root/pooled").ok()).isTrue();
            LayerChain after = node.checkpoint(claimed.id());
            assertThat(after.depth()).isEqualTo(image.depth() + 1);
            Sandbox resumed = node.start("resumed", after, SMALL, NetworkMode.ALLOW_ALL, Map.of());
            assertThat(sh(node, resumed, "cat /root/pooled").stdout()).isEqualTo("from-pool\n");
        } finally {
            node.shutdown();
            HostLeaks.assertNoneOf(node.config());
        }
    }

    private static ExecResult sh(Node node, Sandbox s, String script) throws Exception {
        return node.exec(s.id(), List.of("sh", "-c", script), Duration.ofSeconds(30));
    }
}
