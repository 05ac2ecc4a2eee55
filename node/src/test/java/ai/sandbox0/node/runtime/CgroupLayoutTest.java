package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fake /sys/fs/cgroup in a temp dir, for both layouts. */
class CgroupLayoutTest {

    @TempDir
    Path root;

    @Test
    void hybridV1WithMemswFindsEveryHierarchyIncludingUnified() throws Exception {
        for (String h : new String[] {"memory", "pids", "cpu", "unified"}) {
            Files.createDirectories(root.resolve(h).resolve("sandbox0-s0/abc"));
        }
        Files.writeString(root.resolve("memory/memory.memsw.limit_in_bytes"), "max");
        Files.writeString(root.resolve("memory/sandbox0-s0/abc/memory.oom_control"),
                "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        CgroupLayout layout = CgroupLayout.detect(root);
        assertThat(layout).isEqualTo(new CgroupLayout.V1(root, true));
        assertThat(layout.dirs("/sandbox0-s0/abc")).hasSize(4);
        assertThat(layout.children("/sandbox0-s0")).extracting(p -> p.getFileName().toString()).containsOnly("abc");
        assertThat(layout.oomKills("/sandbox0-s0/abc")).contains(3L);
        layout.setCpuQuota("/sandbox0-s0/abc", 50_000, 100_000);
        assertThat(Files.readString(root.resolve("cpu/sandbox0-s0/abc/cpu.cfs_quota_us"))).isEqualTo("50000");
        layout.setCpuShares("/sandbox0-s0/abc", 512);
        assertThat(Files.readString(root.resolve("cpu/sandbox0-s0/abc/cpu.shares"))).isEqualTo("512");
    }

    @Test
    void unifiedV2() throws Exception {
        Files.writeString(root.resolve("cgroup.controllers"), "cpu memory pids");
        Files.createDirectories(root.resolve("sandbox0-s0/abc"));
        Files.writeString(root.resolve("sandbox0-s0/abc/memory.events"), "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
        CgroupLayout layout = CgroupLayout.detect(root);
        assertThat(layout).isInstanceOf(CgroupLayout.V2.class);
        assertThat(layout.dirs("/sandbox0-s0/abc")).containsExactly(root.resolve("sandbox0-s0/abc"));
        assertThat(layout.oomKills("/sandbox0-s0/abc")).contains(1L);
        assertThat(layout.oomKills("/sandbox0-s0/none")).isEmpty();
        layout.setCpuQuota("/sandbox0-s0/abc", 50_000, 100_000);
        assertThat(Files.readString(root.resolve("sandbox0-s0/abc/cpu.max"))).isEqualTo("50000 100000");
        // Shares become the weight runc would have written for them: 1024 (one CPU) is 39, the v2 default 100 is ~2597.
        layout.setCpuShares("/sandbox0-s0/abc", 1024);
        assertThat(Files.readString(root.resolve("sandbox0-s0/abc/cpu.weight"))).isEqualTo("39");
        layout.setCpuShares("/sandbox0-s0/abc", 64);
        assertThat(Files.readString(root.resolve("sandbox0-s0/abc/cpu.weight"))).isEqualTo("3");
    }
}
