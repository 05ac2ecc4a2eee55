package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.IdMap;
import ai.sandbox0.node.ProcdRuntime;
import ai.sandbox0.node.Resources;
import ai.sandbox0.node.SandboxSecurity;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json as runc reads it: generated without root, checked field by field. */
class BundleTest {

    @TempDir
    Path dir;

    private JsonNode write(Resources resources, CgroupLayout layout) throws Exception {
        var procd = ProcdRuntime.of(Path.of("/jdk"), Path.of("/var/lib/s0/procd/abc"), Path.of("/usr/bin/tini-static"));
        var bundle = new Bundle(dir);
        var mounts = new ArrayList<OciMount>(procd.mounts());
        mounts.addAll(bundle.etcMounts());
        var config = new ContainerConfig("sandbox-abc", dir.resolve("rootfs"), procd.args(),
                Map.of("SANDBOX0_PROCD_TOKEN", "secret", "FOO", "bar"), "/root", Path.of("/run/netns/s0-abc"),
                "/sandbox0-s0/abc", CgroupLimits.of(resources, layout), SeccompProfile.defaults(),
                CapabilitySet.sandboxDefault(), mounts, SandboxSecurity.DEFAULT, new IdMap(1L << 30, IdMap.SIZE),
                dir.resolve("userns"));
        bundle.write(config, "10.88.0.1", List.of("192.0.2.53"));
        return Json.mapper().readTree(Files.readAllBytes(bundle.configJson()));
    }

    private JsonNode v1() throws Exception {
        return write(Resources.of("500m", "2Gi"), new CgroupLayout.V1(dir, true));
    }

    @Test
    void everyNamespaceWithTheJoinedUserAndNetworkNamespaces() throws Exception {
        JsonNode ns = v1().at("/linux/namespaces");
        var types = new ArrayList<String>();
        ns.forEach(n -> types.add(n.get("type").asText()));
        assertThat(types).containsExactlyInAnyOrder("pid", "ipc", "uts", "mount", "cgroup", "network", "user");
        ns.forEach(n -> {
            if (n.get("type").asText().equals("network")) {
                assertThat(n.get("path").asText()).isEqualTo("/run/netns/s0-abc");
            } else if (n.get("type").asText().equals("user")) {
                assertThat(n.get("path").asText()).isEqualTo(dir.resolve("userns").toString());
            } else {
                assertThat(n.has("path")).isFalse();
            }
        });
    }

    @Test
    void rootIsTheRunsFirstHostIdAndOwnsItsEtcFiles() throws Exception {
        JsonNode linux = v1().at("/linux");
        for (String field : List.of("uidMappings", "gidMappings")) {
            assertThat(linux.get(field)).hasSize(1);
            assertThat(linux.get(field).get(0).get("containerID").asLong()).isZero();
            assertThat(linux.get(field).get(0).get("hostID").asLong()).isEqualTo(1L << 30);
            assertThat(linux.get(field).get(0).get("size").asLong()).isEqualTo(65536);
        }
        for (String name : List.of("hostname", "hosts", "resolv.conf")) {
            assertThat(Files.getAttribute(dir.resolve("etc").resolve(name), "unix:uid")).isEqualTo(1 << 30);
            assertThat(Files.getAttribute(dir.resolve("etc").resolve(name), "unix:gid")).isEqualTo(1 << 30);
        }
    }

    @Test
    void limitsFromTheTemplateResources() throws Exception {
        JsonNode r = v1().at("/linux/resources");
        assertThat(r.at("/cpu/quota").asLong()).isEqualTo(50_000);
        assertThat(r.at("/cpu/period").asLong()).isEqualTo(100_000);
        assertThat(r.at("/cpu/shares").asLong()).isEqualTo(512);
        assertThat(r.at("/memory/limit").asLong()).isEqualTo(2L << 30);
        assertThat(r.at("/memory/swap").asLong()).as("memory+swap = memory: no swap").isEqualTo(2L << 30);
        assertThat(r.at("/pids/limit").asLong()).isEqualTo(Resources.DEFAULT_PIDS);
        assertThat(r.at("/devices/0/allow").asBoolean()).isFalse();
        assertThat(v1().at("/linux/cgroupsPath").asText()).isEqualTo("/sandbox0-s0/abc");
    }

    @Test
    void swapLimitOnlyWhereTheKernelEnforcesIt() throws Exception {
        JsonNode noMemsw = write(Resources.of("1", "4Gi"), new CgroupLayout.V1(dir, false)).at("/linux/resources/memory");
        assertThat(noMemsw.has("swap")).isFalse();
        JsonNode v2 = write(Resources.of("1", "4Gi"), new CgroupLayout.V2(dir)).at("/linux/resources/memory");
        assertThat(v2.at("/swap").asLong()).isEqualTo(4L << 30);
    }

    @Test
    void hardenedProcess() throws Exception {
        JsonNode p = v1().at("/process");
        assertThat(p.get("noNewPrivileges").asBoolean()).isTrue();
        assertThat(p.get("terminal").asBoolean()).isFalse();
        var caps = new ArrayList<String>();
        p.at("/capabilities/bounding").forEach(c -> caps.add(c.asText()));
        assertThat(caps).containsExactlyInAnyOrderElementsOf(CapabilitySet.SANDBOX_DEFAULT)
                .doesNotContain("CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE");
        assertThat(caps).as("no raw sockets").doesNotContain("CAP_NET_RAW");
        assertThat(v1().at("/linux/sysctl").get("net.ipv4.ping_group_range").asText()).isEqualTo("0 65535");
        assertThat(p.get("rlimits").toString()).contains("\"RLIMIT_CORE\",\"soft\":0,\"hard\":0")
                .contains("RLIMIT_NOFILE");
        assertThat(p.at("/capabilities").has("ambient")).isFalse();
        assertThat(p.at("/capabilities").has("inheritable")).isFalse();
        assertThat(p.at("/args/0").asText()).isEqualTo("/opt/sandbox0/tini");
        var env = new ArrayList<String>();
        p.get("env").forEach(e -> env.add(e.asText()));
        assertThat(env).contains("SANDBOX0_PROCD_TOKEN=secret", "FOO=bar", "HOSTNAME=sandbox-abc");
        var args = new ArrayList<String>();
        p.get("args").forEach(a -> args.add(a.asText()));
        assertThat(String.join(" ", args)).as("the token never goes on the command line").doesNotContain("secret");
    }

    @Test
    void maskedAndReadOnlyProcPaths() throws Exception {
        JsonNode l = v1().at("/linux");
        var masked = new ArrayList<String>();
        l.get("maskedPaths").forEach(m -> masked.add(m.asText()));
        assertThat(masked).contains("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                "/sys/firmware", "/proc/scsi", "/proc/acpi");
        var ro = new ArrayList<String>();
        l.get("readonlyPaths").forEach(m -> ro.add(m.asText()));
        assertThat(ro).contains("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
        assertThat(l.get("rootfsPropagation").asText()).isEqualTo("rprivate");
    }

    @Test
    void onlyTheProcdRuntimeOfTheHostIsMountedAndReadOnly() throws Exception {
        JsonNode mounts = v1().get("mounts");
        var byDest = new java.util.LinkedHashMap<String, JsonNode>();
        mounts.forEach(m -> byDest.put(m.get("destination").asText(), m));
        assertThat(byDest.keySet()).containsExactly("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                "/sys/fs/cgroup", "/opt/sandbox0/jdk", "/opt/sandbox0/procd", "/opt/sandbox0/tini", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf");
        for (String d : List.of("/opt/sandbox0/jdk", "/opt/sandbox0/procd", "/opt/sandbox0/tini")) {
            assertThat(byDest.get(d).get("options").toString()).contains("\"ro\"", "\"nosuid\"", "\"nodev\"");
        }
        for (JsonNode m : mounts) {
            if (m.get("type").asText().equals("bind")) {
                String src = m.get("source").asText();
                assertThat(src).as("bind sources are the procd runtime or this bundle's files")
                        .satisfiesAnyOf(s -> assertThat(s).startsWith(dir.toString()),
                                s -> assertThat(s).isIn("/jdk", "/var/lib/s0/procd/abc", "/usr/bin/tini-static"));
            }
        }
        assertThat(byDest).as("/tmp is part of the root filesystem, not a mount of its own").doesNotContainKey("/tmp");
        assertThat(byDest.get("/sys").get("options").toString()).contains("\"ro\"");
    }

    @Test
    void etcFilesWrittenByTheNode() throws Exception {
        v1();
        assertThat(Files.readString(dir.resolve("etc/hostname"))).isEqualTo("sandbox-abc\n");
        assertThat(Files.readString(dir.resolve("etc/hosts"))).contains("10.88.0.1\tsandbox-abc");
        assertThat(Files.readString(dir.resolve("etc/resolv.conf"))).startsWith("nameserver 192.0.2.53\n");
    }

    @Test
    void startupBoostRaisesTheQuotaAndLowersTheWeightOnly() {
        CgroupLimits base = CgroupLimits.of(Resources.of("500m", "2Gi"), new CgroupLayout.V2(dir));
        CgroupLimits boosted = base.withStartupBoost(2);
        assertThat(boosted.cpuQuota()).isEqualTo(200_000);
        assertThat(boosted.cpuShares()).isEqualTo(CgroupLimits.STARTUP_SHARES).isLessThan(base.cpuShares());
        assertThat(boosted.memoryLimit()).isEqualTo(base.memoryLimit());
        assertThat(boosted.pidsLimit()).isEqualTo(base.pidsLimit());
        assertThat(boosted.boosted(base)).isTrue();
        // A sandbox whose own quota is above the boost still starts at the low weight, so it is still boosted.
        CgroupLimits big = CgroupLimits.of(Resources.of("4", "16Gi"), new CgroupLayout.V2(dir));
        assertThat(big.withStartupBoost(2).cpuQuota()).isEqualTo(400_000);
        assertThat(big.withStartupBoost(2).boosted(big)).isTrue();
    }

    @Test
    void specDefaults() {
        SandboxSpec s = SandboxSpec.of("abc", List.of(dir), Resources.of("1", "4Gi"), null);
        assertThat(s.networkMode()).isEqualTo(NetworkMode.ALLOW_ALL);
        assertThat(s.hostname()).isEqualTo("sandbox-abc");
    }
}
